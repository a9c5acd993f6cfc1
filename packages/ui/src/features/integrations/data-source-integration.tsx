/**
 * Prometheus and Loki data sources (issue 36): the observability tools are offered to the model only for a cluster
 * that has one. Add (the engine checks the source before saving, and the card shows a test right after), edit,
 * disable/enable, delete. The token or password is write-only: the list shows only its last four characters.
 */
import type { CreateIntegrationRequest, Integration, IntegrationTestResult, UpdateIntegrationRequest } from '@skyflo/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { Badge, Button, ErrorNote, Field, Input } from '../../components/ui.tsx';

type Provider = 'prometheus' | 'loki';
const providerName: Record<Provider, string> = { prometheus: 'Prometheus', loki: 'Loki' };
const isDataSource = (item: { provider: string }): item is Integration => item.provider === 'prometheus' || item.provider === 'loki';
const selectClass = 'w-full rounded-md border border-border bg-panel px-3 py-2 text-sm';

/** Empty username = bearer token; with a username the secret is the basic-auth password (the engine's contract). */
function credentialsOf(form: FormData) {
  const username = String(form.get('username') ?? '').trim();
  return { ...(username ? { username } : {}), api_token: String(form.get('secret') ?? '') };
}

export function DataSourceIntegrations({ items, admin, onChanged }: { items: ReadonlyArray<{ provider: string }>; admin: boolean; onChanged(): void }) {
  const sources = items.filter(isDataSource);
  return (
    <section className="space-y-3" aria-label="Data sources">
      <h2 className="font-semibold">Metrics and logs</h2>
      <p className="text-sm text-muted">Prometheus (or Thanos, Mimir, VictoriaMetrics) and Loki, read-only. The agent gets its metrics and log tools only for clusters with a source.</p>
      {sources.length === 0 ? <p className="text-sm text-muted">No data sources yet.</p> : null}
      <ul className="space-y-3">
        {sources.map((source) => (
          <DataSourceCard key={source.id} source={source} admin={admin} onChanged={onChanged} />
        ))}
      </ul>
      {admin ? <AddDataSourceForm onCreated={onChanged} /> : null}
    </section>
  );
}

function TestResult({ result }: { result: IntegrationTestResult }) {
  return (
    <p role="status" className={`mt-2 text-sm ${result.ok ? 'text-ok' : 'text-danger'}`}>
      {result.ok ? `Connected${result.latency_ms !== undefined ? ` in ${result.latency_ms} ms` : ''}.` : `Failed: ${result.error ?? 'unknown error'}`}
    </p>
  );
}

function AddDataSourceForm({ onCreated }: { onCreated(): void }) {
  const [provider, setProvider] = useState<Provider>('prometheus');
  const clusters = useQuery({ queryKey: ['clusters'], queryFn: () => skyflo.clusters(), retry: false });
  const create = useMutation({
    // the engine refuses a source it cannot reach; the test right after shows the user what "saved" means
    mutationFn: async (body: CreateIntegrationRequest) => {
      const created = await skyflo.createIntegration(body);
      const test = await skyflo.testIntegration(created.id).catch((error: Error) => ({ ok: false, error: error.message }) satisfies IntegrationTestResult);
      return { created, test };
    },
    onSuccess: onCreated,
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const name = String(form.get('name') ?? '').trim();
    const cluster = String(form.get('cluster') ?? '');
    // Prometheus only: the Grafana the chart's "Open in Grafana" link goes to
    const grafanaUrl = provider === 'prometheus' ? String(form.get('grafana_url') ?? '').trim() : '';
    // a multi-tenant Loki or Mimir: its tenant, sent as X-Scope-OrgID
    const orgId = String(form.get('org_id') ?? '').trim();
    create.mutate(
      { provider, ...(name ? { name } : {}), metadata: { api_url: String(form.get('api_url')), ...(cluster ? { cluster } : {}), ...(grafanaUrl ? { grafana_url: grafanaUrl } : {}), ...(orgId ? { org_id: orgId } : {}) }, credentials: credentialsOf(form) },
      { onSuccess: () => element.reset() },
    );
  }
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Add data source">
      <h3 className="font-semibold">Add a data source</h3>
      <p className="mb-4 mt-0.5 text-sm text-muted">The engine queries the source before saving; the token or password is stored encrypted and never shown again. Leave the username empty for a bearer token.</p>
      <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Kind" htmlFor="ds-provider">
          <select id="ds-provider" className={selectClass} value={provider} onChange={(event) => setProvider(event.target.value as Provider)}>
            <option value="prometheus">Prometheus</option>
            <option value="loki">Loki</option>
          </select>
        </Field>
        <Field label="Name" htmlFor="ds-name">
          <Input id="ds-name" name="name" placeholder={provider} />
        </Field>
        <Field label={`${providerName[provider]} URL`} htmlFor="ds-url">
          <Input id="ds-url" name="api_url" type="url" required placeholder={provider === 'prometheus' ? 'https://prometheus.example.com' : 'https://loki.example.com'} />
        </Field>
        <Field label="Cluster" htmlFor="ds-cluster">
          <select id="ds-cluster" name="cluster" className={selectClass} defaultValue="">
            <option value="">Every cluster</option>
            {clusters.data?.clusters.map((cluster) => (
              <option key={cluster.name} value={cluster.name}>
                {cluster.name}
              </option>
            ))}
          </select>
        </Field>
        {provider === 'prometheus' ? (
          <Field label="Grafana URL (optional)" htmlFor="ds-grafana" hint="Charts of this source get an “Open in Grafana” link.">
            <Input id="ds-grafana" name="grafana_url" type="url" placeholder="https://grafana.example.com" />
          </Field>
        ) : null}
        <Field label="Tenant (X-Scope-OrgID, optional)" htmlFor="ds-org" hint="For a multi-tenant Loki or Mimir.">
          <Input id="ds-org" name="org_id" autoComplete="off" placeholder="team-a" />
        </Field>
        <Field label="Username (basic auth, optional)" htmlFor="ds-user">
          <Input id="ds-user" name="username" autoComplete="off" />
        </Field>
        <Field label="Bearer token or password" htmlFor="ds-secret">
          <Input id="ds-secret" name="secret" type="password" required autoComplete="new-password" />
        </Field>
        <div className="md:col-span-2">
          {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
          {create.data ? (
            <div aria-label={`Test of ${create.data.created.name}`}>
              <p className="text-sm">Saved {create.data.created.name}.</p>
              <TestResult result={create.data.test} />
            </div>
          ) : null}
          <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
            {create.isPending ? 'Checking and saving…' : 'Add data source'}
          </Button>
        </div>
      </form>
    </section>
  );
}

function DataSourceCard({ source, admin, onChanged }: { source: Integration; admin: boolean; onChanged(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const test = useMutation({ mutationFn: () => skyflo.testIntegration(source.id) });
  const update = useMutation({ mutationFn: (body: UpdateIntegrationRequest) => skyflo.updateIntegration(source.id, body), onSettled: onChanged });
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(source.id), onSuccess: () => setConfirming(false), onSettled: onChanged });
  const active = source.status === 'active';
  useEffect(() => {
    if (update.isSuccess) setEditing(false);
  }, [update.isSuccess]);
  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    const apiUrl = String(form.get('api_url') ?? '').trim();
    const secret = String(form.get('secret') ?? '');
    // Prometheus: an emptied Grafana URL removes the link (null); unchanged sends nothing
    const grafanaUrl = source.provider === 'prometheus' ? String(form.get('grafana_url') ?? '').trim() : undefined;
    const grafanaChange = grafanaUrl === undefined || grafanaUrl === (source.metadata.grafana_url ?? '') ? {} : { grafana_url: grafanaUrl || null };
    const urlChange = apiUrl && apiUrl !== source.metadata.api_url ? { api_url: apiUrl } : {};
    // an emptied tenant removes it (null); unchanged sends nothing
    const orgId = String(form.get('org_id') ?? '').trim();
    const orgChange = orgId === (source.metadata.org_id ?? '') ? {} : { org_id: orgId || null };
    const metadata = { ...urlChange, ...grafanaChange, ...orgChange };
    // a blank secret keeps the stored one; a new URL needs it again (the engine never sends a token to another host)
    update.mutate({
      ...(name && name !== source.name ? { name } : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      ...(secret ? { credentials: credentialsOf(form) } : {}),
    });
  }
  return (
    <li className="rounded-lg border border-border bg-panel p-4" data-testid="data-source">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{source.name}</span>
        <Badge tone="accent">{providerName[source.provider as Provider]}</Badge>
        <Badge tone={active ? 'ok' : 'neutral'}>{active ? 'Active' : 'Disabled'}</Badge>
        <span className="ml-auto flex flex-wrap gap-2">
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
          {admin ? (
            <>
              <Button size="sm" onClick={() => setEditing((open) => !open)}>
                {editing ? 'Cancel' : 'Edit'}
              </Button>
              <Button size="sm" onClick={() => update.mutate({ status: active ? 'disabled' : 'active' })} disabled={update.isPending}>
                {active ? 'Disable' : 'Enable'}
              </Button>
              <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
                Delete
              </Button>
            </>
          ) : null}
        </span>
      </div>
      <p className="mt-1 break-all font-mono text-xs text-muted">
        {source.metadata.api_url} · {source.metadata.cluster ? `cluster ${source.metadata.cluster}` : 'every cluster'}
        {source.metadata.grafana_url ? ` · Grafana ${source.metadata.grafana_url}` : ''}
        {source.metadata.org_id ? ` · tenant ${source.metadata.org_id}` : ''}
        {source.metadata.username ? ` · basic auth ${source.metadata.username}` : ''}
        {source.credentials.set ? ` · secret …${source.credentials.token_last4 ?? ''}` : ' · no secret'}
      </p>
      {editing ? (
        <form onSubmit={save} className="mt-3 grid grid-cols-1 gap-3 md:grid-cols-2" aria-label={`Edit ${source.name}`}>
          <Field label="Name" htmlFor={`ds-name-${source.id}`}>
            <Input id={`ds-name-${source.id}`} name="name" defaultValue={source.name} />
          </Field>
          <Field label="URL" htmlFor={`ds-url-${source.id}`}>
            <Input id={`ds-url-${source.id}`} name="api_url" type="url" defaultValue={source.metadata.api_url} />
          </Field>
          {source.provider === 'prometheus' ? (
            <Field label="Grafana URL (optional)" htmlFor={`ds-grafana-${source.id}`} hint="Empty: no “Open in Grafana” link.">
              <Input id={`ds-grafana-${source.id}`} name="grafana_url" type="url" defaultValue={source.metadata.grafana_url ?? ''} />
            </Field>
          ) : null}
          <Field label="Tenant (X-Scope-OrgID, optional)" htmlFor={`ds-org-${source.id}`} hint="Empty: no tenant.">
            <Input id={`ds-org-${source.id}`} name="org_id" autoComplete="off" defaultValue={source.metadata.org_id ?? ''} />
          </Field>
          <Field label="Username (basic auth, optional)" htmlFor={`ds-user-${source.id}`}>
            <Input id={`ds-user-${source.id}`} name="username" autoComplete="off" defaultValue={source.metadata.username ?? ''} />
          </Field>
          <Field label="New token or password" htmlFor={`ds-secret-${source.id}`} hint="Leave empty to keep the stored one.">
            <Input id={`ds-secret-${source.id}`} name="secret" type="password" autoComplete="new-password" />
          </Field>
          <div className="md:col-span-2">
            <Button type="submit" variant="primary" disabled={update.isPending}>
              {update.isPending ? 'Checking and saving…' : 'Save'}
            </Button>
          </div>
        </form>
      ) : null}
      {test.data ? <TestResult result={test.data} /> : null}
      {test.isError ? <div className="mt-2"><ErrorNote>{test.error.message}</ErrorNote></div> : null}
      {update.isError ? <div className="mt-2"><ErrorNote>{update.error.message}</ErrorNote></div> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete ${source.name}?`}
        description={`The agent loses its ${providerName[source.provider as Provider]} tools for ${source.metadata.cluster ?? 'every cluster'} and the stored secret is erased.`}
        confirmLabel="Delete"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </li>
  );
}
