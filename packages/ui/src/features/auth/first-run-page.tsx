import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { useAdminCheck } from '../../lib/session.tsx';
import { Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { AuthCard } from './auth-card.tsx';

/** First run: no account exists, so the first registration creates the admin (then signs in). */
export function FirstRunPage() {
  const adminCheck = useAdminCheck();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (adminCheck.isPending) return <div className="p-10"><Spinner /></div>;
  if (adminCheck.data && !adminCheck.data.is_admin) return <Navigate to="/login" replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email'));
    const password = String(form.get('password'));
    if (password !== String(form.get('confirm'))) return setError('The two passwords differ.');
    const setupToken = String(form.get('setup_token') ?? '');
    setBusy(true);
    setError(undefined);
    try {
      const fullName = String(form.get('full_name') || '');
      await skyflo.register({ email, password, ...(fullName ? { fullName } : {}), ...(setupToken ? { setupToken } : {}) });
      await skyflo.login({ email, password });
      await skyflo.issueRefreshToken({ renew: false });
      queryClient.setQueryData(['admin-check'], { is_admin: false });
      // the session now exists: put the user in the cache before the guarded pages read it
      queryClient.setQueryData(['me'], await skyflo.me({ renew: false }));
      navigate('/', { replace: true });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Create the admin account" subtitle="No one has signed up on this server yet. The first account administers Skyflo: it adds the team and decides who approves changes.">
      <form onSubmit={submit} className="space-y-4">
        <Field label="Full name" htmlFor="full_name">
          <Input id="full_name" name="full_name" autoComplete="name" autoFocus />
        </Field>
        <Field label="Email" htmlFor="email">
          <Input id="email" name="email" type="email" autoComplete="username" required />
        </Field>
        <Field label="Password" htmlFor="password" hint="At least 8 characters.">
          <Input id="password" name="password" type="password" autoComplete="new-password" minLength={8} required />
        </Field>
        <Field label="Confirm password" htmlFor="confirm">
          <Input id="confirm" name="confirm" type="password" autoComplete="new-password" minLength={8} required />
        </Field>
        {adminCheck.data?.setup_token_required ? (
          <Field label="Setup token" htmlFor="setup_token" hint="Printed in the engine's start-up log (needed when the engine is reachable beyond this machine).">
            <Input id="setup_token" name="setup_token" required />
          </Field>
        ) : null}
        {error ? <ErrorNote>{error}</ErrorNote> : null}
        <Button type="submit" variant="primary" className="w-full" disabled={busy}>
          {busy ? 'Creating…' : 'Create admin and sign in'}
        </Button>
      </form>
    </AuthCard>
  );
}
