/**
 * Settings → Schedules (issue 81): scheduled checks, a prompt Skyflo runs on a cron schedule as the owner's
 * conversation. Everyone manages their own (an admin sees everyone's, with the owner named); each schedule has "Run
 * now" and its history: every run's tick, status, what was new, resolved and persisted, and a link to its
 * conversation. docs/schedules-and-memory.md describes the fields.
 */
import { scheduleNotifyChannels, type Schedule, type ScheduleInput, type ScheduleNotifyChannel } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { History, Play, Trash2 } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

const channelLabels: Record<ScheduleNotifyChannel, string> = { in_app: 'In the app', slack: 'Slack', teams: 'Teams', webhook: 'Webhooks' };

function RunHistory({ schedule }: { schedule: Schedule }) {
  const runs = useQuery({ queryKey: ['schedules', schedule.id, 'runs'], queryFn: () => skyflo.scheduleRuns(schedule.id), refetchInterval: 5_000 });
  if (runs.isPending) return <Spinner />;
  if (runs.isError) return <ErrorNote>{runs.error.message}</ErrorNote>;
  if (runs.data.data.length === 0) return <p className="mt-2 text-sm text-muted">No runs yet.</p>;
  return (
    <ul className="mt-2 space-y-1 text-sm" aria-label={`Runs of ${schedule.name}`}>
      {runs.data.data.map((run) => (
        <li key={run.id} className="rounded-md border border-border px-2 py-1">
          <span className="font-mono text-xs">{new Date(run.tick).toLocaleString()}</span> <Badge tone={run.status === 'completed' ? 'ok' : run.status === 'running' ? 'accent' : 'warn'}>{run.status}</Badge>{' '}
          {run.trigger === 'manual' ? <span className="text-xs text-muted">run by hand </span> : null}
          {run.diff ? (
            <span className="text-xs">
              {run.diff.compared ? `${run.diff.new.length} new · ${run.diff.resolved.length} resolved · ${run.diff.persists.length} persist` : `${run.findings.length} finding${run.findings.length === 1 ? '' : 's'} (first run)`}
            </span>
          ) : null}
          {run.detail ? <span className="block text-xs text-muted">{run.detail}</span> : null}
          {run.conversation_id ? (
            <Link className="ml-2 text-xs underline" to={`/chat/${run.conversation_id}`}>
              Open conversation
            </Link>
          ) : null}
          {run.diff && run.diff.new.length > 0 ? (
            <ul className="ml-4 list-disc text-xs">
              {run.diff.new.map((finding) => (
                <li key={finding}>New: {finding}</li>
              ))}
              {run.diff.resolved.map((finding) => (
                <li key={`resolved ${finding}`}>Resolved: {finding}</li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

const empty = { name: '', schedule: '0 8 * * 1-5', time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', prompt: '', cluster: '', namespaces: '' };

export function SchedulesSection({ isAdmin }: { isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState(empty);
  const [mode, setMode] = useState<'read_only' | 'propose'>('read_only');
  const [notify, setNotify] = useState<ScheduleNotifyChannel[]>(['in_app']);
  const [open, setOpen] = useState<string>();
  const list = useQuery({ queryKey: ['schedules'], queryFn: () => skyflo.schedules() });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['schedules'] });
  const create = useMutation({
    mutationFn: (input: ScheduleInput) => skyflo.createSchedule(input),
    onSuccess: () => {
      setForm(empty);
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => skyflo.deleteSchedule(id), onSuccess: () => void refresh() });
  const runNow = useMutation({
    mutationFn: (id: string) => skyflo.runSchedule(id),
    onSuccess: (run) => {
      setOpen(run.schedule_id);
      void queryClient.invalidateQueries({ queryKey: ['schedules', run.schedule_id, 'runs'] });
    },
  });
  const set = (key: keyof typeof empty) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const namespaces = form.namespaces.split(',').map((item) => item.trim()).filter(Boolean);
    create.mutate({ name: form.name.trim(), schedule: form.schedule.trim(), time_zone: form.time_zone.trim(), prompt: form.prompt.trim(), mode, notify, ...(form.cluster.trim() ? { cluster: form.cluster.trim() } : {}), ...(namespaces.length > 0 ? { namespaces } : {}) });
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Schedules" id="schedules">
      <h2 className="font-semibold">Schedules</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Checks Skyflo runs on a schedule, as your conversation. Each run is compared with the previous one: the notification says what is new, resolved and still there. A read-only check never proposes a change.
        {isAdmin ? ' As an admin you see everyone’s.' : ''}
      </p>
      {list.isPending ? <Spinner /> : null}
      {list.isError ? <ErrorNote>{list.error.message}</ErrorNote> : null}
      {remove.isError ? <ErrorNote>{remove.error.message}</ErrorNote> : null}
      {runNow.isError ? <ErrorNote>{runNow.error.message}</ErrorNote> : null}
      {list.data?.data.length === 0 ? <p className="text-sm text-muted">No schedules yet.</p> : null}
      <ul className="divide-y divide-border">
        {list.data?.data.map((schedule) => (
          <li key={schedule.id} className="py-2">
            <div className="flex items-center gap-2">
              <div className="min-w-0 flex-1">
                <span className="font-medium">{schedule.name}</span> <Badge tone={schedule.mode === 'read_only' ? 'neutral' : 'accent'}>{schedule.mode === 'read_only' ? 'read-only' : 'may propose'}</Badge>
                {!schedule.enabled ? <Badge tone="warn">paused</Badge> : null}
                <span className="block text-xs text-muted">
                  <code>{schedule.schedule}</code> ({schedule.time_zone}){schedule.next_run_at ? ` · next ${new Date(schedule.next_run_at).toLocaleString()}` : ''}
                  {schedule.cluster ? ` · ${schedule.cluster}` : ''}
                  {schedule.namespaces.length > 0 ? ` · ${schedule.namespaces.join(', ')}` : ''}
                  {isAdmin && schedule.owner_email ? ` · ${schedule.owner_email}` : ''}
                  {/* declared in the cluster: changed there, so no delete here (the API refuses it too) */}
                  {schedule.managed_by ? ` · declared in the cluster as ${schedule.managed_by}` : ''}
                </span>
              </div>
              <Button variant="ghost" aria-label={`Run ${schedule.name} now`} onClick={() => runNow.mutate(schedule.id)} disabled={runNow.isPending}>
                <Play className="h-4 w-4" aria-hidden /> Run now
              </Button>
              <Button variant="ghost" aria-label={`History of ${schedule.name}`} aria-expanded={open === schedule.id} onClick={() => setOpen(open === schedule.id ? undefined : schedule.id)}>
                <History className="h-4 w-4" aria-hidden />
              </Button>
              {schedule.managed_by ? null : (
                <Button variant="ghost" aria-label={`Delete schedule ${schedule.name}`} onClick={() => remove.mutate(schedule.id)} disabled={remove.isPending}>
                  <Trash2 className="h-4 w-4" aria-hidden />
                </Button>
              )}
            </div>
            {open === schedule.id ? <RunHistory schedule={schedule} /> : null}
          </li>
        ))}
      </ul>
      <form className="mt-4 space-y-2" onSubmit={submit} aria-label="New schedule">
        <Field label="Name" htmlFor="schedule-name">
          <Input id="schedule-name" value={form.name} onChange={set('name')} />
        </Field>
        <div className="flex gap-2">
          <div className="flex-1">
            <Field label="Schedule (cron)" htmlFor="schedule-cron" hint="minute hour day month weekday, e.g. 0 8 * * 1-5">
              <Input id="schedule-cron" value={form.schedule} onChange={set('schedule')} />
            </Field>
          </div>
          <div className="flex-1">
            <Field label="Time zone" htmlFor="schedule-zone">
              <Input id="schedule-zone" value={form.time_zone} onChange={set('time_zone')} />
            </Field>
          </div>
        </div>
        <Field label="What to check" htmlFor="schedule-prompt">
          <textarea id="schedule-prompt" className="h-20 w-full rounded-md border border-border bg-panel p-2 text-sm" value={form.prompt} onChange={set('prompt')} />
        </Field>
        <div className="flex gap-2">
          <div className="flex-1">
            <Field label="Cluster" htmlFor="schedule-cluster" hint="optional">
              <Input id="schedule-cluster" value={form.cluster} onChange={set('cluster')} />
            </Field>
          </div>
          <div className="flex-1">
            <Field label="Namespaces" htmlFor="schedule-namespaces" hint="optional, comma-separated">
              <Input id="schedule-namespaces" value={form.namespaces} onChange={set('namespaces')} />
            </Field>
          </div>
        </div>
        <fieldset className="flex flex-wrap gap-4 text-sm">
          <legend className="sr-only">Mode</legend>
          <label>
            <input type="radio" name="schedule-mode" checked={mode === 'read_only'} onChange={() => setMode('read_only')} /> Read-only
          </label>
          <label>
            <input type="radio" name="schedule-mode" checked={mode === 'propose'} onChange={() => setMode('propose')} /> May propose changes (they wait for approval)
          </label>
        </fieldset>
        <fieldset className="flex flex-wrap gap-4 text-sm">
          <legend className="text-xs text-muted">Tell</legend>
          {scheduleNotifyChannels.map((channel) => (
            <label key={channel}>
              <input type="checkbox" checked={notify.includes(channel)} onChange={(event) => setNotify(event.target.checked ? [...notify, channel] : notify.filter((item) => item !== channel))} /> {channelLabels[channel]}
            </label>
          ))}
        </fieldset>
        {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
        <Button type="submit" variant="primary" disabled={!form.name.trim() || !form.prompt.trim() || create.isPending}>
          Add schedule
        </Button>
      </form>
    </section>
  );
}
