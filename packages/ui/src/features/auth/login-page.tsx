import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { useAdminCheck } from '../../lib/session.tsx';
import { Button, ErrorNote, Field, Input } from '../../components/ui.tsx';
import { AuthCard } from './auth-card.tsx';
import { OidcSignInButton, oidcErrorMessage, useOidcInfo } from './oidc-sign-in.tsx';

/** Only same-app paths are followed after login (no open redirect through ?next=). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const adminCheck = useAdminCheck();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const oidc = useOidcInfo();
  const [breakGlass, setBreakGlass] = useState(false);
  const oidcError = oidcErrorMessage(params.get('oidc_error'));

  // A fresh install creates its first admin on the first-run page, unless people sign in with the company provider
  // (the first of them signs in here; LOCAL_LOGIN_BREAK_GLASS_EMAIL can still be registered through the API).
  if (adminCheck.data?.is_admin && oidc.data && !oidc.data.enabled) return <Navigate to="/welcome" replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await skyflo.login({ email: String(form.get('email')), password: String(form.get('password')) });
      // the refresh cookie (7 days) so the session survives the 15-minute access cookie
      await skyflo.issueRefreshToken({ renew: false });
      // the session now exists: put the user in the cache before the guarded pages read it
      queryClient.setQueryData(['me'], await skyflo.me({ renew: false }));
      navigate(safeNext(params.get('next')), { replace: true });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Sign in" subtitle={oidc.data?.enabled ? 'Use your company account.' : 'Use the account your Skyflo admin created for you.'}>
      {oidcError ? <ErrorNote>{oidcError}</ErrorNote> : null}
      {oidc.data?.enabled && oidc.data.provider_name ? (
        <div className="mb-4 mt-2">
          <OidcSignInButton providerName={oidc.data.provider_name} />
        </div>
      ) : null}
      {/* LOCAL_LOGIN=false: passwords only for the break-glass admin, behind a small link */}
      {oidc.data && !oidc.data.local_login && !breakGlass ? (
        oidc.data.break_glass ? (
          <button type="button" className="text-xs text-slate-400 underline" onClick={() => setBreakGlass(true)}>
            Break-glass admin sign-in
          </button>
        ) : null
      ) : (
      <form onSubmit={submit} className="space-y-4">
        <Field label="Email" htmlFor="email">
          <Input id="email" name="email" type="email" autoComplete="username" required autoFocus />
        </Field>
        <Field label="Password" htmlFor="password">
          <Input id="password" name="password" type="password" autoComplete="current-password" required />
        </Field>
        {error ? <ErrorNote>{error}</ErrorNote> : null}
        <Button type="submit" variant="primary" className="w-full" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
      )}
    </AuthCard>
  );
}
