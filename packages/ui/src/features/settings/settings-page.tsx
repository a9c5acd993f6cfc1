import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, NavLink, useLocation, useParams } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { useMe } from '../../lib/session.tsx';
import { Button, ErrorNote, Field, Input, PageHeader } from '../../components/ui.tsx';
import { LlmSection } from './llm-section.tsx';
import { TeamSection } from './team-section.tsx';
import { ClustersSection } from './clusters-section.tsx';
import { ApiTokensSection } from './api-tokens-section.tsx';
import { PublicUrlSection } from './public-url-section.tsx';
import { RunbooksSection } from './runbooks-section.tsx';
import { SchedulesSection } from './schedules-section.tsx';
import { PasskeysSection } from './passkeys-section.tsx';
import { DeviceKeysSection } from './device-keys-section.tsx';
import { PasskeyPolicySection } from './passkey-policy-section.tsx';
import { CompanySignInSection } from './company-sign-in-section.tsx';
import { PoliciesSection } from './policies-section.tsx';
import { FreezesSection } from './freezes-section.tsx';

function Section({ title, description, children }: { title: string; description: string; children: React.ReactNode }) {
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label={title}>
      <h2 className="font-semibold">{title}</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">{description}</p>
      {children}
    </section>
  );
}

function ProfileSection() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  useEffect(() => setName(me.data?.full_name ?? ''), [me.data?.full_name]);
  const save = useMutation({
    mutationFn: () => skyflo.updateMe({ full_name: name.trim() || null }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  const unchanged = name.trim() === (me.data?.full_name ?? '');
  return (
    <Section title="Profile" description={`Signed in as ${me.data?.email ?? ''} (${me.data?.role ?? ''}).`}>
      <form
        className="flex max-w-md items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <div className="flex-1">
          <Field label="Full name" htmlFor="profile-name">
            <Input id="profile-name" value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
        </div>
        <Button type="submit" variant="primary" disabled={unchanged || save.isPending}>
          Save
        </Button>
      </form>
      {save.isSuccess && unchanged ? <p role="status" className="mt-2 text-sm text-ok">Saved.</p> : null}
      {save.isError ? <div className="mt-2"><ErrorNote>{save.error.message}</ErrorNote></div> : null}
    </Section>
  );
}

function PasswordSection() {
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const change = useMutation({ mutationFn: (body: { current_password: string; new_password: string }) => skyflo.changePassword(body) });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = String(form.get('new'));
    setDone(false);
    if (next !== String(form.get('confirm'))) return setError('The new passwords differ.');
    setError(undefined);
    const element = event.currentTarget;
    change.mutate(
      { current_password: String(form.get('current')), new_password: next },
      {
        onSuccess: () => {
          setDone(true);
          element.reset();
        },
        onError: (caught) => setError(caught.message),
      },
    );
  }
  return (
    <Section title="Password" description="At least 8 characters. Other sessions stay signed in until their refresh expires.">
      <form onSubmit={submit} className="max-w-md space-y-3">
        <Field label="Current password" htmlFor="pw-current">
          <Input id="pw-current" name="current" type="password" autoComplete="current-password" required />
        </Field>
        <Field label="New password" htmlFor="pw-new">
          <Input id="pw-new" name="new" type="password" autoComplete="new-password" minLength={8} required />
        </Field>
        <Field label="Confirm new password" htmlFor="pw-confirm">
          <Input id="pw-confirm" name="confirm" type="password" autoComplete="new-password" minLength={8} required />
        </Field>
        {error ? <ErrorNote>{error}</ErrorNote> : null}
        {done ? <p role="status" className="text-sm text-ok">Password changed.</p> : null}
        <Button type="submit" variant="primary" disabled={change.isPending}>
          Change password
        </Button>
      </form>
    </Section>
  );
}

/**
 * Settings, one section per address (/settings/profile, /settings/team…), each with its own Save: a long page with
 * several Save buttons left it unclear which one saved what. The old anchors (/settings#model) still land right.
 */
const sections = [
  { path: 'profile', title: 'Profile', admin: false },
  { path: 'tokens', title: 'API tokens', admin: false },
  { path: 'team', title: 'Team', admin: true },
  { path: 'model', title: 'Model', admin: true },
  { path: 'clusters', title: 'Clusters', admin: true },
  { path: 'server', title: 'Public address', admin: true },
  // everyone reads the team's runbooks (the answer's "Runbook:" chip opens one here); admins upload and delete
  { path: 'runbooks', title: 'Runbooks', admin: false },
  // issue 76: policies as code (admins); everyone sees the change freezes, admins add them
  { path: 'policies', title: 'Policies', admin: true },
  { path: 'freezes', title: 'Freezes', admin: false },
  // everyone manages their own scheduled checks (issue 81); admins see everyone's
  { path: 'schedules', title: 'Schedules', admin: false },
] as const;

const tab = ({ isActive }: { isActive: boolean }) => `rounded-md px-2.5 py-1.5 text-sm ${isActive ? 'bg-panel-2 font-medium text-fg' : 'text-muted hover:bg-panel-2 hover:text-fg'}`;

export default function SettingsPage() {
  const me = useMe();
  const { section } = useParams();
  const { hash, search } = useLocation();
  const admin = me.data?.role === 'admin';
  const known = sections.find((entry) => entry.path === section);
  if (!section) {
    const anchored = sections.find((entry) => `#${entry.path}` === hash);
    // the query goes along: an old link such as /settings?runbook=<name>#runbooks still opens that runbook
    return <Navigate to={{ pathname: `/settings/${anchored?.path ?? 'profile'}`, search }} replace />;
  }
  return (
    <div className="h-full overflow-y-auto">
      <div className="mx-auto max-w-4xl space-y-6 px-4 py-6 sm:px-6 sm:py-8">
        <PageHeader title="Settings" />
        <nav aria-label="Settings sections" className="-mt-3 flex flex-wrap gap-1 border-b border-border pb-3">
          {sections
            .filter((entry) => !entry.admin || admin)
            .map((entry) => (
              <NavLink key={entry.path} to={`/settings/${entry.path}`} className={tab}>
                {entry.title}
              </NavLink>
            ))}
        </nav>
        {!known ? <p className="text-sm text-muted">There is no settings section called “{section}”.</p> : null}
        {known?.admin && me.data && !admin ? <p className="text-sm text-muted">Only admins see the {known.title} settings.</p> : null}
        {section === 'profile' ? (
          <>
            <ProfileSection />
            <CompanySignInSection />
            <PasskeysSection />
            <DeviceKeysSection />
            <PasswordSection />
          </>
        ) : null}
        {section === 'tokens' ? <ApiTokensSection /> : null}
        {section === 'team' && admin ? <TeamSection selfId={me.data!.id} /> : null}
        {section === 'model' && admin ? <LlmSection /> : null}
        {section === 'clusters' && admin ? (
          <>
            <ClustersSection />
            <PasskeyPolicySection />
          </>
        ) : null}
        {section === 'server' && admin ? <PublicUrlSection /> : null}
        {section === 'runbooks' && me.data ? <RunbooksSection isAdmin={admin} /> : null}
        {section === 'policies' && admin ? <PoliciesSection /> : null}
        {section === 'freezes' && me.data ? <FreezesSection isAdmin={admin} /> : null}
        {section === 'schedules' && me.data ? <SchedulesSection isAdmin={admin} /> : null}
      </div>
    </div>
  );
}
