import type { Member } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { MemberScopeCell } from '../../components/clusters/member-scope.tsx';
import { Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';

const roles = ['member', 'approver', 'admin'] as const;

/** Team admin (admins only): add with an initial password, change role, remove (soft delete, sessions end). */
export function TeamSection({ selfId }: { selfId: string }) {
  const queryClient = useQueryClient();
  const members = useQuery({ queryKey: ['team'], queryFn: () => skyflo.members() });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['team'] });
  const add = useMutation({ mutationFn: (body: { email: string; password: string; role: string; name?: string }) => skyflo.addMember(body), onSuccess: refresh });
  const changeRole = useMutation({ mutationFn: ({ id, role }: { id: string; role: string }) => skyflo.setMemberRole(id, role), onSettled: refresh });
  const remove = useMutation({ mutationFn: (id: string) => skyflo.removeMember(id), onSuccess: () => setRemoving(undefined), onSettled: refresh });
  const [removing, setRemoving] = useState<Member>();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const element = event.currentTarget;
    add.mutate(
      { email: String(form.get('email')), password: String(form.get('password')), role: String(form.get('role')), ...(form.get('name') ? { name: String(form.get('name')) } : {}) },
      { onSuccess: () => element.reset() },
    );
  }

  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Team">
      <h2 className="font-semibold">Team</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">Members chat; approvers also decide others' changes (with the approver policy); admins manage the team.</p>
      {members.isPending ? <Spinner /> : null}
      {members.isError ? <ErrorNote>{members.error.message}</ErrorNote> : null}
      {members.data ? (
        // on a phone the table scrolls sideways inside the card, not the page
        <div className="overflow-x-auto">
        <table className="w-full text-sm" data-testid="team-table">
          <thead>
            <tr className="border-b border-border text-left text-xs uppercase tracking-wide text-muted">
              <th className="py-2 font-medium">Member</th>
              <th className="py-2 font-medium">Role</th>
              <th className="py-2 font-medium">Scope</th>
              <th className="hidden py-2 font-medium sm:table-cell">Added</th>
              <th className="py-2" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {members.data.map((member) => (
              <tr key={member.id} className="border-b border-border/60">
                <td className="py-2">
                  <div className="font-medium">{member.name || member.email}</div>
                  {member.name ? <div className="text-xs text-muted">{member.email}</div> : null}
                </td>
                <td className="py-2">
                  <select
                    aria-label={`Role of ${member.email}`}
                    value={member.role}
                    disabled={member.id === selfId}
                    onChange={(event) => changeRole.mutate({ id: member.id, role: event.target.value })}
                    className="h-8 rounded-md border border-border bg-panel px-2"
                  >
                    {roles.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="py-2">
                  <MemberScopeCell member={member} />
                </td>
                <td className="hidden py-2 text-muted sm:table-cell">{new Date(member.created_at).toLocaleDateString()}</td>
                <td className="py-2 text-right">
                  {member.id !== selfId ? (
                    <Button size="sm" variant="ghost" className="text-danger" onClick={() => setRemoving(member)}>
                      Remove
                    </Button>
                  ) : (
                    <span className="text-xs text-muted">you</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      ) : null}
      {changeRole.isError ? <div className="mt-2"><ErrorNote>{changeRole.error.message}</ErrorNote></div> : null}
      <form onSubmit={submit} className="mt-5 grid grid-cols-1 gap-3 md:grid-cols-5 md:items-end" aria-label="Add a member">
        <Field label="Email" htmlFor="member-email">
          <Input id="member-email" name="email" type="email" required />
        </Field>
        <Field label="Name" htmlFor="member-name">
          <Input id="member-name" name="name" />
        </Field>
        <Field label="Initial password" htmlFor="member-password">
          <Input id="member-password" name="password" type="password" minLength={8} required autoComplete="new-password" />
        </Field>
        <Field label="Role" htmlFor="member-role">
          <select id="member-role" name="role" defaultValue="member" className="h-9 w-full rounded-md border border-border bg-panel px-2 text-sm">
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" variant="primary" disabled={add.isPending}>
          Add member
        </Button>
      </form>
      {add.isError ? <div className="mt-2"><ErrorNote>{add.error.message}</ErrorNote></div> : null}
      <ConfirmDialog
        open={removing !== undefined}
        onOpenChange={(open) => !open && setRemoving(undefined)}
        title={`Remove ${removing?.email ?? ''}?`}
        description="They are signed out at once and can no longer use Skyflo. Their conversations are kept."
        confirmLabel="Remove"
        busy={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing.id)}
      />
    </section>
  );
}
