/**
 * Settings → API tokens: create a named token with scopes and an expiry (shown once, to copy now), see each token's
 * last use, and revoke it. Backed by GET/POST/DELETE /auth/tokens; the engine keeps only a hash of each token.
 */
import { apiTokenScopes, type ApiTokenScope, type CreatedApiToken } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { Button, ErrorNote, Field, Input } from '../../components/ui.tsx';

const scopeWords: Record<ApiTokenScope, string> = {
  chat: 'chat: ask and read (skyflo chat, evals); does not approve or deny',
  'approvals:read': 'read pending approvals and notifications',
  // Issue 31 item 8: deciding is its own scope, so a token made for chatting is not an approval credential.
  'approvals:write': 'approve and deny calls as you (skyflo chat needs it to decide; a chat-only token can only ask)',
  'alerts:write': 'send alerts',
  'audit:read': 'read the audit trail',
};

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

export function ApiTokensSection() {
  const queryClient = useQueryClient();
  const tokens = useQuery({ queryKey: ['auth', 'tokens'], queryFn: () => skyflo.apiTokens() });
  const [created, setCreated] = useState<CreatedApiToken>();
  const [error, setError] = useState<string>();
  const create = useMutation({
    mutationFn: (body: { name: string; scopes: ApiTokenScope[]; expires_in_days: number }) => skyflo.createApiToken(body),
    onSuccess: (token) => {
      setCreated(token);
      setError(undefined);
      void queryClient.invalidateQueries({ queryKey: ['auth', 'tokens'] });
    },
    onError: (caught) => setError(caught instanceof Error ? caught.message : String(caught)),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => skyflo.revokeApiToken(id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['auth', 'tokens'] }),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const scopes = apiTokenScopes.filter((scope) => form.get(`scope-${scope}`) === 'on');
    create.mutate({ name: String(form.get('name') ?? ''), scopes, expires_in_days: Number(form.get('days') ?? 90) });
  }

  return (
    <section className="rounded-lg border border-border bg-panel p-4" aria-labelledby="api-tokens-heading">
      <h2 id="api-tokens-heading" className="font-semibold">
        API tokens
      </h2>
      <p className="mt-0.5 text-sm text-muted">For automation (skyflo chat with SKYFLO_TOKEN, evals, alert sources). A token acts as you, only within its scopes; every use is audited.</p>
      <form onSubmit={submit} className="mt-3 space-y-3">
        <Field label="Name" htmlFor="token-name">
          <Input id="token-name" name="name" required maxLength={100} placeholder="alertmanager" />
        </Field>
        <fieldset>
          <legend className="text-sm font-medium">Scopes</legend>
          <div className="mt-1 grid gap-1 sm:grid-cols-2">
            {apiTokenScopes.map((scope) => (
              <label key={scope} className="flex items-center gap-2 text-sm">
                <input type="checkbox" name={`scope-${scope}`} defaultChecked={scope === 'chat'} />
                <code>{scope}</code> <span className="text-muted">{scopeWords[scope]}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Expires after (days)" htmlFor="token-days">
          <Input id="token-days" name="days" type="number" min={1} max={365} defaultValue={90} />
        </Field>
        <Button type="submit" disabled={create.isPending}>
          Create token
        </Button>
      </form>
      {error ? (
        <div className="mt-3">
          <ErrorNote>{error}</ErrorNote>
        </div>
      ) : null}
      {created ? (
        <div role="status" className="mt-3 rounded-md border border-ok/50 bg-ok/10 p-3 text-sm">
          <p className="font-medium">Copy the token now: it is not shown again.</p>
          <code className="mt-1 block break-all rounded bg-panel-2 p-2" data-testid="new-api-token">
            {created.token}
          </code>
        </div>
      ) : null}
      {tokens.isError ? <div className="mt-2"><ErrorNote>{tokens.error.message}</ErrorNote></div> : null}
      <table className="mt-4 w-full text-left text-sm">
        <thead className="text-xs text-muted">
          <tr>
            <th className="py-1">Name</th>
            <th>Scopes</th>
            <th>Last used</th>
            <th>Expires</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(tokens.data?.data ?? []).map((token) => (
            <tr key={token.id} className="border-t border-border">
              <td className="py-1.5">
                {token.name} <code className="text-xs text-muted">{token.prefix}…</code>
              </td>
              <td>{token.scopes.join(', ')}</td>
              <td>{when(token.last_used_at)}</td>
              <td>{token.revoked_at ? `revoked ${when(token.revoked_at)}` : when(token.expires_at)}</td>
              <td className="text-right">
                {token.revoked_at ? null : (
                  <Button variant="ghost" size="sm" onClick={() => revoke.mutate(token.id)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
