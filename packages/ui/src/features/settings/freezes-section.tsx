/**
 * Settings → Freezes (issue 76): change freezes. Everyone sees them (and which one holds now); admins add and delete
 * them. A recurring one repeats its first window daily or weekly at the same wall-clock times in its time zone.
 */
import type { FreezeInput } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Trash2 } from 'lucide-react';
import { declaredWhere } from '../../lib/declared-where.ts';
import { useState, type FormEvent } from 'react';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

const list = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean);

export function FreezesSection({ isAdmin }: { isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const freezes = useQuery({ queryKey: ['freezes'], queryFn: () => skyflo.freezes() });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['freezes'] });
  const [form, setForm] = useState({ name: '', starts: '', ends: '', recurrence: '', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, clusters: '', namespaces: '', reason: '' });
  const set = (key: keyof typeof form) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  const create = useMutation({
    mutationFn: () => {
      // the inputs are local wall-clock times of this browser; the engine takes instants with an offset
      const input: FreezeInput = {
        name: form.name.trim(),
        starts_at: new Date(form.starts).toISOString(),
        ends_at: new Date(form.ends).toISOString(),
        ...(form.recurrence ? { recurrence: form.recurrence as 'daily' | 'weekly', time_zone: form.timeZone } : {}),
        ...(list(form.clusters).length > 0 ? { clusters: list(form.clusters) } : {}),
        ...(list(form.namespaces).length > 0 ? { namespaces: list(form.namespaces) } : {}),
        reason: form.reason.trim(),
      };
      return skyflo.createFreeze(input);
    },
    onSuccess: () => {
      setForm({ ...form, name: '', reason: '' });
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => skyflo.deleteFreeze(id), onSuccess: refresh });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Freezes">
      <h2 className="font-semibold">Change freezes</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">During a freeze, changes in its scope are refused before anyone is asked (FROZEN) and approvals wait; reads keep working.</p>
      {freezes.isPending ? <Spinner /> : null}
      {freezes.isError ? <ErrorNote>{freezes.error.message}</ErrorNote> : null}
      {remove.isError ? <ErrorNote>{remove.error.message}</ErrorNote> : null}
      {freezes.data?.data.length === 0 ? <p className="text-sm text-muted">No freezes.</p> : null}
      <ul className="divide-y divide-border">
        {freezes.data?.data.map((freeze) => (
          <li key={freeze.id} className="flex items-center gap-2 py-2">
            <div className="min-w-0 flex-1 text-sm">
              <span className="font-medium">{freeze.name}</span> {freeze.active_until ? <Badge tone="danger">frozen until {new Date(freeze.active_until).toLocaleString()}</Badge> : null}
              <span className="block text-xs text-muted">
                {new Date(freeze.starts_at).toLocaleString()} – {new Date(freeze.ends_at).toLocaleString()}
                {freeze.recurrence ? `, ${freeze.recurrence} (${freeze.time_zone ?? 'UTC'})` : ''} · {freeze.clusters?.join(', ') ?? 'every cluster'} · {freeze.namespaces?.join(', ') ?? 'every namespace'} · {freeze.reason}
                {freeze.managed_by ? ` · ${declaredWhere(freeze.managed_by)}` : ''}
              </span>
            </div>
            {/* declared in the cluster or a file: changed there, so no delete here (the API refuses it too) */}
            {isAdmin && !freeze.managed_by ? (
              <Button variant="ghost" aria-label={`Delete freeze ${freeze.name}`} onClick={() => remove.mutate(freeze.id)} disabled={remove.isPending}>
                <Trash2 className="h-4 w-4" aria-hidden />
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      {isAdmin ? (
        <form className="mt-4 grid gap-2 sm:grid-cols-2" onSubmit={submit} aria-label="New freeze">
          <Field label="Name" htmlFor="freeze-name">
            <Input id="freeze-name" value={form.name} onChange={set('name')} />
          </Field>
          <Field label="Reason" htmlFor="freeze-reason">
            <Input id="freeze-reason" value={form.reason} onChange={set('reason')} />
          </Field>
          <Field label="Starts" htmlFor="freeze-starts">
            <Input id="freeze-starts" type="datetime-local" value={form.starts} onChange={set('starts')} />
          </Field>
          <Field label="Ends" htmlFor="freeze-ends">
            <Input id="freeze-ends" type="datetime-local" value={form.ends} onChange={set('ends')} />
          </Field>
          <Field label="Repeats" htmlFor="freeze-recurrence">
            <select id="freeze-recurrence" className="h-9 w-full rounded-md border border-border bg-panel px-2 text-sm" value={form.recurrence} onChange={set('recurrence')}>
              <option value="">once</option>
              <option value="daily">daily</option>
              <option value="weekly">weekly</option>
            </select>
          </Field>
          <Field label="Time zone" htmlFor="freeze-zone" hint="the zone a repeating window keeps its times in">
            <Input id="freeze-zone" value={form.timeZone} onChange={set('timeZone')} />
          </Field>
          <Field label="Clusters" htmlFor="freeze-clusters" hint="comma-separated patterns; empty: every cluster">
            <Input id="freeze-clusters" value={form.clusters} onChange={set('clusters')} placeholder="prod-*" />
          </Field>
          <Field label="Namespaces" htmlFor="freeze-namespaces" hint="comma-separated patterns; empty: every namespace">
            <Input id="freeze-namespaces" value={form.namespaces} onChange={set('namespaces')} />
          </Field>
          {create.isError ? <div className="sm:col-span-2"><ErrorNote>{create.error.message}</ErrorNote></div> : null}
          <div className="sm:col-span-2">
            <Button type="submit" variant="primary" disabled={!form.name.trim() || !form.reason.trim() || !form.starts || !form.ends || create.isPending}>
              Add freeze
            </Button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
