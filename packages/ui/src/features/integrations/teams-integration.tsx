/**
 * Microsoft Teams on the Integrations page (issue 39): connect (the Azure Bot's app id, app password — write-only —,
 * tenant, the conversation approval cards go to), test (a bot token and a test message in the conversation), delete,
 * and the messaging endpoint to paste into the Azure Bot, absolute (the engine's public address) and copyable.
 */
import { TEAMS_MESSAGES_PATH, type CreateTeamsRequest, type TeamsIntegration } from '@skyflo/protocol';
import { useMutation } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { usePublicUrl } from '../../lib/public-url.tsx';
import { Badge, Button, ErrorNote, Field, Input } from '../../components/ui.tsx';
import { StatusBadge } from './status-badge.tsx';

/** The messaging endpoint, absolute and copyable; unknown while the public address is. */
export function TeamsMessagingEndpoint() {
  const publicUrl = usePublicUrl();
  const [copied, setCopied] = useState(false);
  if (!publicUrl.data) return null;
  const base = publicUrl.data.url;
  if (!base) return <p className="text-sm text-muted">Messaging endpoint: not known until the public address is set.</p>;
  const url = `${base}${TEAMS_MESSAGES_PATH}`;
  return (
    <div className="text-sm">
      <p className="font-medium">Messaging endpoint</p>
      <div className="mt-1 flex items-start gap-2">
        <code className="min-w-0 flex-1 break-all rounded bg-panel-2 px-2 py-1 font-mono text-xs" data-testid="teams-messaging-endpoint">
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
          aria-label="Copy the messaging endpoint"
        >
          {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />}
          {copied ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p className="mt-1 text-xs text-muted">Paste it in the Azure Bot under Settings → Configuration → Messaging endpoint.</p>
    </div>
  );
}

export function TeamsCard({ teams, admin, onChanged }: { teams: TeamsIntegration; admin: boolean; onChanged: () => void }) {
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(teams.id), onSuccess: onChanged });
  const test = useMutation({ mutationFn: () => skyflo.testIntegration(teams.id) });
  return (
    <li className="space-y-2 rounded-lg border border-border bg-panel p-4" aria-label={`Teams ${teams.name}`} data-testid="teams-card">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{teams.name}</span>
        <Badge tone="accent">Microsoft Teams</Badge>
        <StatusBadge status={teams.status} />
        <span className="ml-auto flex gap-2">
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
          {admin ? (
            <Button variant="ghost" size="sm" onClick={() => remove.mutate()} aria-label={`Delete Teams ${teams.name}`}>
              Delete
            </Button>
          ) : null}
        </span>
      </div>
      <p className="break-words text-sm text-muted">
        Approval cards go to conversation {teams.metadata.conversation_id} with Approve / Deny; bot {teams.metadata.app_id} in tenant {teams.metadata.tenant_id}, app password …{teams.credentials.app_password_last4}; connector {teams.metadata.service_url}.
      </p>
      {test.data ? (
        <p role="status" className={`text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
          {test.data.ok ? 'Connected; a test message was posted in the conversation.' : `Failed: ${test.data.error ?? 'unknown error'}`}
        </p>
      ) : null}
      {test.isError ? <ErrorNote>{test.error.message}</ErrorNote> : null}
      <TeamsMessagingEndpoint />
    </li>
  );
}

export function AddTeamsForm({ onCreated }: { onCreated: () => void }) {
  const create = useMutation({
    mutationFn: (body: CreateTeamsRequest) => skyflo.createIntegration(body),
    onSuccess: onCreated,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const serviceUrl = String(form.get('service_url') ?? '').trim();
    const loginUrl = String(form.get('login_url') ?? '').trim();
    create.mutate({
      provider: 'teams',
      name: String(form.get('name') || 'teams'),
      metadata: { app_id: String(form.get('app_id') ?? ''), tenant_id: String(form.get('tenant_id') ?? ''), conversation_id: String(form.get('conversation_id') ?? ''), ...(serviceUrl ? { service_url: serviceUrl } : {}), ...(loginUrl ? { login_url: loginUrl } : {}) },
      credentials: { app_password: String(form.get('app_password') ?? '') },
    });
  }
  return (
    <section className="space-y-3 rounded-lg border border-border bg-panel p-5" aria-label="Add Microsoft Teams">
      <div>
        <h2 className="font-semibold">Add Microsoft Teams</h2>
        <p className="mt-0.5 text-sm text-muted">Approval requests are posted to a Teams channel as cards with Approve / Deny; a click decides as the Skyflo user with the same e-mail. The app password is stored encrypted and never shown again.</p>
      </div>
      <TeamsMessagingEndpoint />
      <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Name" htmlFor="teams-name">
          <Input id="teams-name" name="name" placeholder="ops" />
        </Field>
        <Field label="Microsoft App ID" htmlFor="teams-app-id" hint="Azure Bot → Configuration → Microsoft App ID.">
          <Input id="teams-app-id" name="app_id" required autoComplete="off" />
        </Field>
        <Field label="App password" htmlFor="teams-password" hint="A client secret of the bot's app registration (Certificates & secrets).">
          <Input id="teams-password" name="app_password" type="password" required minLength={8} autoComplete="off" />
        </Field>
        <Field label="Tenant ID" htmlFor="teams-tenant" hint="The Entra tenant of the app registration (single-tenant bots).">
          <Input id="teams-tenant" name="tenant_id" required autoComplete="off" />
        </Field>
        <Field label="Conversation ID" htmlFor="teams-conversation" hint="The channel to post to (19:…@thread.tacv2); install the bot's app in its team.">
          <Input id="teams-conversation" name="conversation_id" required placeholder="19:…@thread.tacv2" />
        </Field>
        <Field label="Bot Framework service URL (optional)" htmlFor="teams-service" hint="Leave empty for https://smba.trafficmanager.net/teams/; only for a regional URL, a proxy or a test channel.">
          <Input id="teams-service" name="service_url" type="url" placeholder="https://smba.trafficmanager.net/teams/" />
        </Field>
        <Field label="Token service URL (optional)" htmlFor="teams-login" hint="Leave empty for https://login.microsoftonline.com; only for a proxy or a test channel.">
          <Input id="teams-login" name="login_url" type="url" placeholder="https://login.microsoftonline.com" />
        </Field>
        <div className="md:col-span-2">
          {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
          <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
            Connect Teams
          </Button>
        </div>
      </form>
    </section>
  );
}
