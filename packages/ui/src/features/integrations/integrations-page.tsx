import type { CreateIntegrationRequest, Integration, UpdateIntegrationRequest } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plug } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { useMe } from '../../lib/session.tsx';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { QueryError } from '../../components/unavailable.tsx';
import { Badge, Button, EmptyState, ErrorNote, Field, Input, PageHeader, Spinner } from '../../components/ui.tsx';
import type { SlackIntegration, TeamsIntegration, WebhookIntegration } from '@skyflo/protocol';
import { AddWebhookForm, WebhookCard } from './notification-integrations.tsx';
import { AddSlackForm, PublicUrlWarning, SlackCard } from './slack-integration.tsx';
import { AddTeamsForm, TeamsCard } from './teams-integration.tsx';
import { StatusBadge } from './status-badge.tsx';
import { DataSourceIntegrations } from './data-source-integration.tsx';
import { ExternalMcpServers } from './external-mcp-servers.tsx';

/** Jenkins connections (create with credentials checked by the engine, test, disable/enable, delete), data sources, webhooks, Slack and Teams. Admins edit. */
export default function IntegrationsPage() {
  const me = useMe();
  const admin = me.data?.role === 'admin';
  const queryClient = useQueryClient();
  const all = useQuery({ queryKey: ['integrations'], queryFn: () => skyflo.integrations(), retry: false });
  // Jenkins connections here; Prometheus and Loki in their own section (data-source-integration.tsx), webhooks and Slack
  // in theirs (notification-integrations.tsx, slack-integration.tsx)
  const list = { ...all, data: all.data?.filter((item): item is Integration => item.provider !== 'webhook' && item.provider !== 'slack' && item.provider !== 'teams' && item.provider !== 'prometheus' && item.provider !== 'loki') };
  const webhooks = all.data?.filter((item): item is WebhookIntegration => item.provider === 'webhook') ?? [];
  const slack = all.data?.filter((item): item is SlackIntegration => item.provider === 'slack') ?? [];
  const teams = all.data?.filter((item): item is TeamsIntegration => item.provider === 'teams') ?? [];
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['integrations'] });
  const create = useMutation({
    mutationFn: (body: CreateIntegrationRequest) => skyflo.createIntegration(body),
    onSuccess: refresh,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const element = event.currentTarget;
    create.mutate(
      {
        provider: 'jenkins',
        ...(form.get('name') ? { name: String(form.get('name')) } : {}),
        metadata: { api_url: String(form.get('api_url')) },
        credentials: { username: String(form.get('username')), api_token: String(form.get('api_token')) },
      },
      { onSuccess: () => element.reset() },
    );
  }
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-4xl space-y-6 px-4 py-6 sm:px-6 sm:py-8">
        <PageHeader title="Integrations" />
        <PublicUrlWarning />
        {list.isPending ? <Spinner /> : null}
        {list.isError ? <QueryError error={list.error} what="integrations (Jenkins connections)" /> : null}
        {list.data && list.data.length === 0 ? (
          <EmptyState icon={<Plug className="h-8 w-8 text-muted" aria-hidden />} title="No integrations yet">
            Connect Jenkins so the agent can read builds and, with your approval, trigger them.
          </EmptyState>
        ) : null}
        <ul className="space-y-3">
          {list.data?.map((integration) => <IntegrationCard key={integration.id} integration={integration} admin={admin} onChanged={refresh} />)}
          {webhooks.map((webhook) => <WebhookCard key={webhook.id} webhook={webhook} admin={admin} onChanged={refresh} />)}
          {slack.map((item) => <SlackCard key={item.id} slack={item} admin={admin} onChanged={refresh} />)}
          {teams.map((item) => <TeamsCard key={item.id} teams={item} admin={admin} onChanged={refresh} />)}
        </ul>
        {admin && all.isSuccess && slack.length === 0 ? <AddSlackForm onCreated={refresh} /> : null}
        {admin && all.isSuccess && teams.length === 0 ? <AddTeamsForm onCreated={refresh} /> : null}
        {admin && all.isSuccess ? <AddWebhookForm onCreated={refresh} /> : null}
        {admin && list.isSuccess ? (
          <section className="rounded-lg border border-border bg-panel p-5" aria-label="Add Jenkins">
            <h2 className="font-semibold">Add Jenkins</h2>
            <p className="mb-4 mt-0.5 text-sm text-muted">The engine checks the credentials against Jenkins before saving; the token is stored encrypted and never shown again.</p>
            <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
              <Field label="Name" htmlFor="int-name">
                <Input id="int-name" name="name" placeholder="ci" />
              </Field>
              <Field label="Jenkins URL" htmlFor="int-url">
                <Input id="int-url" name="api_url" type="url" required placeholder="https://jenkins.example.com" />
              </Field>
              <Field label="Username" htmlFor="int-user">
                <Input id="int-user" name="username" required autoComplete="off" />
              </Field>
              <Field label="API token" htmlFor="int-token">
                <Input id="int-token" name="api_token" type="password" required autoComplete="new-password" />
              </Field>
              <div className="md:col-span-2">
                {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
                <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
                  {create.isPending ? 'Checking and saving…' : 'Add integration'}
                </Button>
              </div>
            </form>
          </section>
        ) : null}
        {all.isSuccess ? <DataSourceIntegrations items={all.data} admin={admin} onChanged={refresh} /> : null}
        {admin ? <ExternalMcpServers /> : null}
      </div>
    </div>
  );
}

/** What each connection is called and what deleting it costs; any provider not named here still gets a card. */
const providerNames: Record<string, { label: string; loses: string }> = {
  jenkins: { label: 'Jenkins', loses: 'The agent loses its Jenkins tools for this server' },
  prometheus: { label: 'Prometheus', loses: 'The agent stops querying metrics from this Prometheus' },
  loki: { label: 'Loki', loses: 'The agent stops querying logs from this Loki' },
};
const providerOf = (provider: string) => providerNames[provider] ?? { label: provider, loses: 'The agent stops using this connection' };

function IntegrationCard({ integration, admin, onChanged }: { integration: Integration; admin: boolean; onChanged(): void }) {
  const provider = providerOf(integration.provider);
  const [confirming, setConfirming] = useState(false);
  const test = useMutation({ mutationFn: () => skyflo.testIntegration(integration.id) });
  const toggle = useMutation({
    mutationFn: () => skyflo.updateIntegration(integration.id, { status: integration.status === 'active' ? 'disabled' : 'active' } satisfies UpdateIntegrationRequest),
    onSettled: onChanged,
  });
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(integration.id), onSuccess: () => setConfirming(false), onSettled: onChanged });
  return (
    <li className="rounded-lg border border-border bg-panel p-4" data-testid={integration.provider === 'jenkins' ? 'integration' : 'data-source-integration'} aria-label={`${provider.label} ${integration.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{integration.name}</span>
        <Badge tone="accent">{provider.label}</Badge>
        <StatusBadge status={integration.status} />
        <span className="ml-auto flex gap-2">
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test connection'}
          </Button>
          {admin ? (
            <>
              <Button size="sm" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
                {integration.status === 'active' ? 'Disable' : 'Enable'}
              </Button>
              <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
                Delete
              </Button>
            </>
          ) : null}
        </span>
      </div>
      <p className="mt-1 font-mono text-xs text-muted">
        {integration.metadata.api_url}
        {integration.metadata.username ? ` · ${integration.metadata.username}` : ''}
        {integration.metadata.cluster ? ` · cluster ${integration.metadata.cluster}` : ''}
        {integration.credentials.set ? ` · token …${integration.credentials.token_last4 ?? ''}` : ' · no token'}
      </p>
      {test.data ? (
        <p role="status" className={`mt-2 text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
          {test.data.ok ? `Connected${test.data.user ? ` as ${test.data.user}` : ''}${test.data.latency_ms !== undefined ? ` in ${test.data.latency_ms} ms` : ''}.` : `Failed: ${test.data.error ?? 'unknown error'}`}
        </p>
      ) : null}
      {test.isError ? <div className="mt-2"><ErrorNote>{test.error.message}</ErrorNote></div> : null}
      {toggle.isError ? <div className="mt-2"><ErrorNote>{toggle.error.message}</ErrorNote></div> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete ${integration.name}?`}
        description={`${provider.loses} and the stored token is erased.`}
        confirmLabel="Delete"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </li>
  );
}
