import type { CreateExternalMcpServerRequest, ExternalMcpServer } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { QueryError } from '../../components/unavailable.tsx';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

/**
 * MCP servers an admin connected (issue 39): their tools are offered to the agent as `<server>__<tool>` under the
 * server's toolset, and every tool not listed as read-only waits for approval like Skyflo's own (without a preview).
 * Admins only: the API refuses everyone else, so the section is shown to admins only.
 */
export function ExternalMcpServers() {
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ['external-mcp-servers'], queryFn: () => skyflo.externalMcpServers(), retry: false });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['external-mcp-servers'] });
  return (
    <section className="space-y-3" aria-label="MCP servers">
      <div>
        <h2 className="font-semibold">MCP servers</h2>
        <p className="mt-0.5 text-sm text-muted">
          Your own MCP servers (Argo CD, Grafana, GitHub…). Their tools are offered to the agent by toolset; every tool that does not declare itself read-only needs an approval, and has no preview.
        </p>
      </div>
      {list.isPending ? <Spinner /> : null}
      {list.isError ? <QueryError error={list.error} what="MCP servers" /> : null}
      <ul className="space-y-3">
        {list.data?.data.map((server) => <ExternalMcpCard key={server.id} server={server} onChanged={refresh} />)}
      </ul>
      {list.isSuccess ? <AddExternalMcpForm onCreated={refresh} /> : null}
    </section>
  );
}

function ExternalMcpCard({ server, onChanged }: { server: ExternalMcpServer; onChanged(): void }) {
  const [confirming, setConfirming] = useState(false);
  const test = useMutation({ mutationFn: () => skyflo.testExternalMcpServer(server.id), onSettled: onChanged });
  const toggle = useMutation({ mutationFn: () => skyflo.updateExternalMcpServer(server.id, { enabled: !server.enabled }), onSettled: onChanged });
  const remove = useMutation({ mutationFn: () => skyflo.deleteExternalMcpServer(server.id), onSuccess: () => setConfirming(false), onSettled: onChanged });
  // issue 77: an OAuth server's sign-in happens at its authorization server; the engine brings the browser back here
  const oauth = server.transport.type === 'http' ? server.transport.oauth : undefined;
  const signIn = useMutation({ mutationFn: () => skyflo.startExternalMcpOauth(server.id), onSuccess: (started) => window.location.assign(started.authorization_url) });
  const tone = server.status === 'connected' ? 'ok' : server.status === 'error' ? 'danger' : 'neutral';
  return (
    <li className="rounded-lg border border-border bg-panel p-4" data-testid="external-mcp-server" aria-label={`MCP server ${server.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{server.name}</span>
        <Badge tone="accent">toolset {server.toolset}</Badge>
        <Badge tone={tone}>{server.status}</Badge>
        <span className="ml-auto flex gap-2">
          {oauth ? (
            <Button size="sm" variant={oauth.signed_in ? undefined : 'primary'} onClick={() => signIn.mutate()} disabled={signIn.isPending}>
              {signIn.isPending ? 'Opening…' : oauth.signed_in ? 'Sign in again' : 'Sign in'}
            </Button>
          ) : null}
          <Button size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? 'Testing…' : 'Test connection'}
          </Button>
          <Button size="sm" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
            {server.enabled ? 'Disable' : 'Enable'}
          </Button>
          <Button size="sm" variant="danger" onClick={() => setConfirming(true)}>
            Remove
          </Button>
        </span>
      </div>
      <p className="mt-1 font-mono text-xs text-muted">
        {server.transport.type === 'stdio'
          ? `${server.transport.command.join(' ')}${server.transport.env_names.length > 0 ? ` · env ${server.transport.env_names.join(', ')}` : ''}${server.transport.cwd ? ` · in ${server.transport.cwd}` : ''}`
          : `${server.transport.url}${oauth ? (oauth.signed_in ? ` · OAuth, signed in at ${oauth.issuer ?? 'its authorization server'}` : ' · OAuth, not signed in') : server.transport.token.set ? ' · bearer token set' : ' · no token'}`}
      </p>
      <p className="mt-1 text-xs text-muted">
        {server.acts_on
          ? `Acts on cluster ${server.acts_on.cluster}${server.acts_on.namespace ? `, namespace ${server.acts_on.namespace}` : ' (any namespace)'}: its calls are approved by those whose scope includes it.`
          : 'Acts nowhere declared: only approvers whose scope is not limited may approve its calls.'}
        {server.non_destructive_tools.length > 0 ? ` Not destructive: ${server.non_destructive_tools.join(', ')}.` : ''}
      </p>
      {server.error ? <div className="mt-2"><ErrorNote>{server.error}</ErrorNote></div> : null}
      {server.tools.length > 0 ? (
        <ul className="mt-2 flex flex-wrap gap-1.5 text-xs" aria-label={`Tools of ${server.name}`}>
          {server.tools.map((tool) => (
            <li key={tool.name} className="rounded border border-border px-1.5 py-0.5 font-mono">
              {tool.name} <span className="text-muted">{tool.read_only ? 'read-only' : tool.destructive ? 'needs approval · destructive' : 'needs approval'}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {server.problems.map((problem) => (
        <p key={problem} className="mt-1 text-sm text-warn">
          {problem}
        </p>
      ))}
      {test.data ? (
        <p role="status" className={`mt-2 text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
          {test.data.ok ? `Connected in ${test.data.latency_ms} ms: ${test.data.tools ?? 0} tools.` : `Failed: ${test.data.error ?? 'unknown error'}`}
        </p>
      ) : null}
      {test.isError ? <div className="mt-2"><ErrorNote>{test.error.message}</ErrorNote></div> : null}
      {toggle.isError ? <div className="mt-2"><ErrorNote>{toggle.error.message}</ErrorNote></div> : null}
      {signIn.isError ? <div className="mt-2"><ErrorNote>{signIn.error.message}</ErrorNote></div> : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Remove ${server.name}?`}
        description="The agent loses its tools, its undecided approvals are denied, and its stored token and environment values are erased."
        confirmLabel="Remove"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </li>
  );
}

/** "KEY=value" lines → the env record (values are sent once and never shown again). */
function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return env;
}

function AddExternalMcpForm({ onCreated }: { onCreated(): void }) {
  const [kind, setKind] = useState<'stdio' | 'http'>('http');
  const create = useMutation({ mutationFn: (body: CreateExternalMcpServerRequest) => skyflo.createExternalMcpServer(body), onSuccess: onCreated });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const element = event.currentTarget;
    const text = (name: string) => String(form.get(name) ?? '').trim();
    // one argument per line: the command is never run through a shell
    const command = text('command').split('\n').map((part) => part.trim()).filter(Boolean);
    const env = envOf(String(form.get('env') ?? ''));
    const transport: CreateExternalMcpServerRequest['transport'] =
      kind === 'stdio'
        ? { type: 'stdio', command, ...(Object.keys(env).length > 0 ? { env } : {}), ...(text('cwd') ? { cwd: text('cwd') } : {}) }
        : { type: 'http', url: text('url'), ...(form.get('oauth') === 'on' ? { auth: { type: 'oauth' as const } } : text('token') ? { token: text('token') } : {}) };
    // where its tools act and which are not destructive: the admin's word, never the server's (issue 74)
    const actsOn = text('cluster') ? { cluster: text('cluster'), ...(text('namespace') ? { namespace: text('namespace') } : {}) } : undefined;
    const nonDestructive = text('non_destructive').split(/[\s,]+/).filter(Boolean);
    create.mutate({ name: text('name'), toolset: text('toolset'), transport, ...(actsOn ? { acts_on: actsOn } : {}), ...(nonDestructive.length > 0 ? { non_destructive_tools: nonDestructive } : {}) }, { onSuccess: () => element.reset() });
  }
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Add MCP server">
      <h3 className="font-semibold">Add MCP server</h3>
      <p className="mb-4 mt-0.5 text-sm text-muted">The engine connects and lists its tools before saving; the token and environment values are stored encrypted and never shown again.</p>
      <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Name" htmlFor="mcp-name" hint="lower-case; tools become name__tool">
          <Input id="mcp-name" name="name" required placeholder="argocd" />
        </Field>
        <Field label="Toolset" htmlFor="mcp-toolset" hint="what the agent loads to see these tools">
          <Input id="mcp-toolset" name="toolset" required placeholder="gitops" />
        </Field>
        <fieldset className="md:col-span-2 flex gap-4 text-sm" aria-label="Transport">
          <label className="flex items-center gap-1.5">
            <input type="radio" name="kind" checked={kind === 'http'} onChange={() => setKind('http')} /> Streamable HTTP URL
          </label>
          <label className="flex items-center gap-1.5">
            <input type="radio" name="kind" checked={kind === 'stdio'} onChange={() => setKind('stdio')} /> Command (stdio)
          </label>
        </fieldset>
        {kind === 'http' ? (
          <>
            <Field label="URL" htmlFor="mcp-url">
              <Input id="mcp-url" name="url" type="url" required placeholder="https://argocd-mcp.internal/mcp" />
            </Field>
            <Field label="Bearer token" htmlFor="mcp-token">
              <Input id="mcp-token" name="token" type="password" autoComplete="new-password" />
            </Field>
            <label className="md:col-span-2 flex items-center gap-1.5 text-sm">
              <input type="checkbox" name="oauth" /> The server requires OAuth: sign in after adding it (needs an https public address)
            </label>
          </>
        ) : (
          <>
            <Field label="Command, one argument per line" htmlFor="mcp-command" hint="no shell: the program and its arguments">
              <textarea id="mcp-command" name="command" required rows={3} className="w-full rounded-md border border-border bg-bg px-3 py-2 font-mono text-sm" placeholder={'/usr/local/bin/argocd-mcp\n--stdio'} />
            </Field>
            <Field label="Environment, KEY=value per line" htmlFor="mcp-env">
              <textarea id="mcp-env" name="env" rows={3} className="w-full rounded-md border border-border bg-bg px-3 py-2 font-mono text-sm" autoComplete="off" />
            </Field>
            <Field label="Working directory" htmlFor="mcp-cwd">
              <Input id="mcp-cwd" name="cwd" placeholder="/opt/argocd-mcp" />
            </Field>
          </>
        )}
        <Field label="Acts on cluster" htmlFor="mcp-cluster" hint="where its tools act; empty: only unscoped approvers approve them">
          <Input id="mcp-cluster" name="cluster" placeholder="prod" />
        </Field>
        <Field label="Namespace" htmlFor="mcp-namespace" hint="empty: any namespace of that cluster">
          <Input id="mcp-namespace" name="namespace" placeholder="argocd" />
        </Field>
        <Field label="Tools that are not destructive" htmlFor="mcp-non-destructive" hint="their own names, comma-separated; every other write counts as destructive (four-eyes)">
          <Input id="mcp-non-destructive" name="non_destructive" placeholder="refresh_app" />
        </Field>
        <div className="md:col-span-2">
          {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
          <Button type="submit" variant="primary" className="mt-2" disabled={create.isPending}>
            {create.isPending ? 'Connecting…' : 'Add MCP server'}
          </Button>
        </div>
      </form>
    </section>
  );
}
