/**
 * Slack on the Integrations page (issue 37 item 10): connect (bot token, signing secret, channel; both secrets are
 * write-only), test (auth.test and a test message in the channel), delete, and the Interactivity Request URL to paste
 * into the Slack app, absolute (the engine's public address) and copyable.
 */
import { SLACK_INTERACTIONS_PATH, type CreateSlackRequest, type SlackIntegration } from '@skyflo/protocol';
import { useMutation } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { usePublicUrl } from '../../lib/public-url.tsx';
import { Badge, Button, ErrorNote, Field, Input } from '../../components/ui.tsx';
import { StatusBadge } from './status-badge.tsx';

/** At the top of the Integrations page while the engine does not know its public address. */
export function PublicUrlWarning() {
  const publicUrl = usePublicUrl();
  if (publicUrl.data?.source !== 'unknown') return null;
  return (
    <div role="status" className="rounded-md border border-warn/50 bg-warn/10 px-3 py-2 text-sm" data-testid="public-url-unknown">
      Skyflo does not know its public address yet, so links in webhooks and Slack messages are relative and the Slack Request URL cannot be given. An admin sets it by opening the Command Center in a browser, in{' '}
      <Link to="/settings/server" className="font-medium text-accent underline">
        Settings → Public address
      </Link>
      , or with PUBLIC_URL on the server.
    </div>
  );
}

/** The Request URL, absolute (the engine's public address) and copyable; unknown while the address is. */
export function SlackRequestUrl() {
  const publicUrl = usePublicUrl();
  const [copied, setCopied] = useState(false);
  if (!publicUrl.data) return null;
  const base = publicUrl.data.url;
  if (!base) return <p className="text-sm text-muted">Interactivity Request URL: not known until the public address is set.</p>;
  const url = `${base}${SLACK_INTERACTIONS_PATH}`;
  return (
    <div className="text-sm">
      <p className="font-medium">Interactivity Request URL</p>
      <div className="mt-1 flex items-start gap-2">
        <code className="min-w-0 flex-1 break-all rounded bg-panel-2 px-2 py-1 font-mono text-xs" data-testid="slack-request-url">
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
          aria-label="Copy the Request URL"
        >
          {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />}
          {copied ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p className="mt-1 text-xs text-muted">Paste it in your Slack app under Interactivity &amp; Shortcuts → Request URL.</p>
    </div>
  );
}

export function SlackCard({ slack, admin, onChanged }: { slack: SlackIntegration; admin: boolean; onChanged: () => void }) {
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(slack.id), onSuccess: onChanged });
  const test = useMutation({ mutationFn: () => skyflo.testIntegration(slack.id) });
  return (
    <li className="space-y-2 rounded-lg border border-border bg-panel p-4" aria-label={`Slack ${slack.name}`} data-testid="slack-card">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{slack.name}</span>
        <Badge tone="accent">Slack</Badge>
        <StatusBadge status={slack.status} />
        <span className="ml-auto flex gap-2">
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
          {admin ? (
            <Button variant="ghost" size="sm" onClick={() => remove.mutate()} aria-label={`Delete Slack ${slack.name}`}>
              Delete
            </Button>
          ) : null}
        </span>
      </div>
      <p className="break-words text-sm text-muted">
        Approval requests go to channel {slack.metadata.channel} with Approve / Deny buttons; bot token …{slack.credentials.bot_token_last4}{slack.metadata.api_url ? `; Web API ${slack.metadata.api_url}` : ''}.
      </p>
      {test.data ? (
        <p role="status" className={`text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
          {test.data.ok ? `Connected as ${test.data.user ?? 'the bot'}; a test message was posted in ${slack.metadata.channel}.` : `Failed: ${test.data.error ?? 'unknown error'}`}
        </p>
      ) : null}
      {test.isError ? <ErrorNote>{test.error.message}</ErrorNote> : null}
      <SlackRequestUrl />
    </li>
  );
}

export function AddSlackForm({ onCreated }: { onCreated: () => void }) {
  const create = useMutation({
    mutationFn: (body: CreateSlackRequest) => skyflo.createIntegration(body),
    onSuccess: onCreated,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const apiUrl = String(form.get('api_url') ?? '').trim();
    create.mutate({
      provider: 'slack',
      name: String(form.get('name') || 'slack'),
      metadata: { channel: String(form.get('channel') ?? ''), ...(apiUrl ? { api_url: apiUrl } : {}) },
      credentials: { bot_token: String(form.get('bot_token') ?? ''), signing_secret: String(form.get('signing_secret') ?? '') },
    });
  }
  return (
    <section className="space-y-3 rounded-lg border border-border bg-panel p-5" aria-label="Add Slack">
      <div>
        <h2 className="font-semibold">Add Slack</h2>
        <p className="mt-0.5 text-sm text-muted">Approval requests are posted to a channel with Approve / Deny buttons; a click decides as the Skyflo user with the same e-mail. The token and secret are stored encrypted and never shown again.</p>
      </div>
      <SlackRequestUrl />
      <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Name" htmlFor="slack-name">
          <Input id="slack-name" name="name" placeholder="ops" />
        </Field>
        <Field label="Channel ID" htmlFor="slack-channel" hint="Channel details → the ID at the bottom (C0123456789); invite the app there.">
          <Input id="slack-channel" name="channel" required placeholder="C0123456789" />
        </Field>
        <Field label="Bot token" htmlFor="slack-token" hint="OAuth & Permissions → Bot User OAuth Token (xoxb-…); scopes chat:write, users:read, users:read.email.">
          <Input id="slack-token" name="bot_token" type="password" required autoComplete="off" pattern="xoxb-.*" />
        </Field>
        <Field label="Signing secret" htmlFor="slack-secret" hint="Basic Information → App Credentials → Signing Secret.">
          <Input id="slack-secret" name="signing_secret" type="password" required minLength={16} autoComplete="off" />
        </Field>
        <Field label="Web API URL (optional)" htmlFor="slack-api" hint="Leave empty for https://slack.com/api; only for a proxy in front of Slack or a test server.">
          <Input id="slack-api" name="api_url" type="url" placeholder="https://slack.com/api" />
        </Field>
        <div className="md:col-span-2">
          {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
          <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
            Connect Slack
          </Button>
        </div>
      </form>
    </section>
  );
}
