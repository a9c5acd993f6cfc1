/**
 * What Slack and Teams share on the Integrations page: the address the chat calls back (Slack's Interactivity Request
 * URL, the Azure Bot's messaging endpoint), absolute (the engine's public address) and copyable; the card of a
 * connected chat (test, delete); and the form that connects one (its secrets write-only). The chat's own file
 * (slack-integration.tsx, teams-integration.tsx) gives the words and the fields.
 */
import { useMutation } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { skyflo } from '../../lib/api.ts';
import { usePublicUrl } from '../../lib/public-url.tsx';
import { Badge, Button, ErrorNote } from '../../components/ui.tsx';
import { StatusBadge } from './status-badge.tsx';

/** `title`: what the address is called; `copyName`: the same in the copy button's label; `where`: where to paste it. */
export function CallbackUrl({ path, title, copyName, where, testId }: { path: string; title: string; copyName: string; where: string; testId: string }) {
  const publicUrl = usePublicUrl();
  const [copied, setCopied] = useState(false);
  if (!publicUrl.data) return null;
  const base = publicUrl.data.url;
  if (!base) return <p className="text-sm text-muted">{title}: not known until the public address is set.</p>;
  const url = `${base}${path}`;
  return (
    <div className="text-sm">
      <p className="font-medium">{title}</p>
      <div className="mt-1 flex items-start gap-2">
        <code className="min-w-0 flex-1 break-all rounded bg-panel-2 px-2 py-1 font-mono text-xs" data-testid={testId}>
          {url}
        </code>
        <Button
          size="sm"
          onClick={() => {
            void navigator.clipboard
              ?.writeText(url)
              .then(() => setCopied(true))
              .catch(() => undefined);
          }}
          aria-label={`Copy the ${copyName}`}
        >
          {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />}
          {copied ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p className="mt-1 text-xs text-muted">{where}</p>
    </div>
  );
}

interface ChatIntegration {
  id: string;
  name: string;
  status: 'active' | 'disabled';
}

/** `chat`: 'Slack', 'Teams' (in labels); `tested`: what a successful test says, given who the bot is. */
export function ChatCard({ integration, chat, badge, testId, admin, onChanged, tested, children, callback }: { integration: ChatIntegration; chat: string; badge: string; testId: string; admin: boolean; onChanged: () => void; tested: (user: string | undefined) => string; children: ReactNode; callback: ReactNode }) {
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(integration.id), onSuccess: onChanged });
  const test = useMutation({ mutationFn: () => skyflo.testIntegration(integration.id) });
  return (
    <li className="space-y-2 rounded-lg border border-border bg-panel p-4" aria-label={`${chat} ${integration.name}`} data-testid={testId}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{integration.name}</span>
        <Badge tone="accent">{badge}</Badge>
        <StatusBadge status={integration.status} />
        <span className="ml-auto flex gap-2">
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
          {admin ? (
            <Button variant="ghost" size="sm" onClick={() => remove.mutate()} aria-label={`Delete ${chat} ${integration.name}`}>
              Delete
            </Button>
          ) : null}
        </span>
      </div>
      <p className="break-words text-sm text-muted">{children}</p>
      {test.data ? (
        <p role="status" className={`text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
          {test.data.ok ? tested(test.data.user) : `Failed: ${test.data.error ?? 'unknown error'}`}
        </p>
      ) : null}
      {test.isError ? <ErrorNote>{test.error.message}</ErrorNote> : null}
      {callback}
    </li>
  );
}

type CreateIntegrationRequest = Parameters<typeof skyflo.createIntegration>[0];

/** `request`: the create request from the form's fields (`children`). */
export function AddChatForm({ title, intro, callback, submit, request, onCreated, children }: { title: string; intro: string; callback: ReactNode; submit: string; request: (form: FormData) => CreateIntegrationRequest; onCreated: () => void; children: ReactNode }) {
  const create = useMutation({ mutationFn: (body: CreateIntegrationRequest) => skyflo.createIntegration(body), onSuccess: onCreated });
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate(request(new FormData(event.currentTarget)));
  }
  return (
    <section className="space-y-3 rounded-lg border border-border bg-panel p-5" aria-label={title}>
      <div>
        <h2 className="font-semibold">{title}</h2>
        <p className="mt-0.5 text-sm text-muted">{intro}</p>
      </div>
      {callback}
      <form onSubmit={onSubmit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        {children}
        <div className="md:col-span-2">
          {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
          <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
            {submit}
          </Button>
        </div>
      </form>
    </section>
  );
}
