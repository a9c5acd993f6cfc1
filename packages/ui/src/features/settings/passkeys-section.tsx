/**
 * Settings → Profile → Passkeys (issue 35): the passkeys that sign your approvals of risky changes. Adding one needs a
 * recent sign-in; the other admins are told. Backed by GET/POST/DELETE /auth/passkeys.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { registerPasskey } from '../../lib/passkeys.ts';
import { Button, ErrorNote, Field, Input } from '../../components/ui.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

export function PasskeysSection() {
  const queryClient = useQueryClient();
  const passkeys = useQuery({ queryKey: ['auth', 'passkeys'], queryFn: () => skyflo.passkeys() });
  const [name, setName] = useState('');
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['auth', 'passkeys'] });
  const add = useMutation({ mutationFn: (label: string) => registerPasskey(label), onSuccess: () => (setName(''), refresh()) });
  const remove = useMutation({ mutationFn: (id: string) => skyflo.removePasskey(id), onSuccess: refresh });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    add.mutate(name.trim() || 'Passkey');
  }

  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Passkeys">
      <h2 className="font-semibold">Passkeys</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Risky changes (on clusters whose policy asks for it, production by default) are approved with a passkey: your signature over exactly that change. Adding one needs a sign-in within the last 5 minutes; the other admins are told.
      </p>
      <form onSubmit={submit} className="flex max-w-md flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1">
          <Field label="Passkey name" htmlFor="passkey-name">
            <Input id="passkey-name" value={name} maxLength={100} placeholder="Laptop Touch ID" onChange={(event) => setName(event.target.value)} />
          </Field>
        </div>
        <Button type="submit" variant="primary" disabled={add.isPending}>
          {add.isPending ? 'Waiting for the passkey…' : 'Add a passkey'}
        </Button>
      </form>
      {add.isError ? (
        <div className="mt-2">
          <ErrorNote>{add.error.message}</ErrorNote>
        </div>
      ) : null}
      {add.isSuccess ? <p role="status" className="mt-2 text-sm text-ok">Passkey added.</p> : null}
      {passkeys.isError ? <ErrorNote>{passkeys.error.message}</ErrorNote> : null}
      <ul className="mt-3 divide-y divide-border" aria-label="Your passkeys">
        {passkeys.data?.data.map((key) => (
          <li key={key.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span>
              <span className="font-medium">{key.name}</span> <span className="text-muted">added {when(key.created_at)} · last used {when(key.last_used_at)}</span>
            </span>
            <Button type="button" variant="danger" aria-label={`Remove passkey ${key.name}`} disabled={remove.isPending} onClick={() => remove.mutate(key.id)}>
              Remove
            </Button>
          </li>
        ))}
        {passkeys.data && passkeys.data.data.length === 0 ? <li className="py-2 text-sm text-muted">No passkey yet.</li> : null}
      </ul>
    </section>
  );
}
