/**
 * Settings → Policies (issue 76, admins): the team's policies as code. Each is a CEL expression over a proposed call
 * and an effect (docs/policies.md). The editor checks a draft on the engine — a broken expression comes back with the
 * library's message and its line and column — and "What would this have done" runs the draft over the last recorded
 * calls before anyone saves or enables it.
 */
import type { Policy, PolicyEffect, PolicyEvaluateResponse } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Trash2 } from 'lucide-react';
import { declaredWhere } from '../../lib/declared-where.ts';
import { useState, type FormEvent } from 'react';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

type EffectKind = 'deny' | 'warn' | 'require_passkey' | 'require_approvers' | 'require_role';

function effectOf(kind: EffectKind, approvers: number, role: 'approver' | 'admin'): PolicyEffect {
  if (kind === 'require_approvers') return { require_approvers: approvers };
  if (kind === 'require_role') return { require_role: role };
  return kind;
}

export function effectLabel(effect: PolicyEffect): string {
  if (typeof effect === 'string') return effect === 'require_passkey' ? 'require passkey' : effect;
  return 'require_approvers' in effect ? `require ${effect.require_approvers} approver${effect.require_approvers === 1 ? '' : 's'}` : `require role ${effect.require_role}`;
}

function PolicyRow({ policy }: { policy: Policy }) {
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['policies'] });
  const toggle = useMutation({
    mutationFn: () => skyflo.updatePolicy(policy.id, { name: policy.name, expression: policy.expression, effect: policy.effect, message: policy.message, enabled: !policy.enabled }),
    onSuccess: refresh,
  });
  const remove = useMutation({ mutationFn: () => skyflo.deletePolicy(policy.id), onSuccess: refresh });
  return (
    <li className="py-2">
      <div className="flex items-center gap-2">
        <div className="min-w-0 flex-1">
          <span className="font-medium">{policy.name}</span> <span className="text-xs text-muted">v{policy.version}</span> <Badge tone={policy.effect === 'deny' ? 'danger' : policy.effect === 'warn' ? 'warn' : 'accent'}>{effectLabel(policy.effect)}</Badge>{' '}
          {policy.enabled ? null : <Badge>disabled</Badge>}
          <code className="mt-1 block break-all text-xs">{policy.expression}</code>
          {policy.message ? <span className="block text-xs text-muted">{policy.message}</span> : null}
          {policy.managed_by ? <span className="block text-xs text-muted">{declaredWhere(policy.managed_by)}: change it there</span> : null}
        </div>
        {/* declared in the cluster or a file: changed there, so no edit or delete here (the API refuses them too) */}
        {policy.managed_by ? null : (
          <>
            <Button size="sm" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {policy.enabled ? 'Disable' : 'Enable'}
            </Button>
            <Button variant="ghost" aria-label={`Delete policy ${policy.name}`} onClick={() => remove.mutate()} disabled={remove.isPending}>
              <Trash2 className="h-4 w-4" aria-hidden />
            </Button>
          </>
        )}
      </div>
      {toggle.isError ? <ErrorNote>{toggle.error.message}</ErrorNote> : null}
      {remove.isError ? <ErrorNote>{remove.error.message}</ErrorNote> : null}
    </li>
  );
}

function Preview({ result }: { result: PolicyEvaluateResponse }) {
  return (
    <div className="rounded-md border border-border p-3 text-sm" data-testid="policy-preview">
      <p>
        Of the last {result.evaluated} recorded calls, this would have matched <strong>{result.matched.length}</strong>
        {result.errors.length > 0 ? ` (and could not be evaluated on ${result.errors.length})` : ''}.
      </p>
      {result.matched.length > 0 ? (
        <ul className="mt-2 space-y-1 text-xs">
          {result.matched.map((entry) => (
            <li key={`${entry.conversation_id}/${entry.call_id}`}>
              <a className="underline" href={`/chat/${entry.conversation_id}`}>
                {entry.tool}
              </a>{' '}
              on {entry.cluster ?? 'no cluster'} · {new Date(entry.requested_at).toLocaleString()} · was {entry.status} · would {entry.verdict}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function PoliciesSection() {
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ['policies'], queryFn: () => skyflo.policies() });
  const [name, setName] = useState('');
  const [expression, setExpression] = useState('');
  const [kind, setKind] = useState<EffectKind>('deny');
  const [approvers, setApprovers] = useState(2);
  const [role, setRole] = useState<'approver' | 'admin'>('admin');
  const [message, setMessage] = useState('');
  const [enabled, setEnabled] = useState(false);
  const effect = effectOf(kind, approvers, role);
  const evaluate = useMutation({ mutationFn: () => skyflo.evaluatePolicy({ expression, effect, limit: 200 }) });
  const create = useMutation({
    mutationFn: () => skyflo.createPolicy({ name: name.trim(), expression, effect, message, enabled }),
    onSuccess: () => {
      setName('');
      setExpression('');
      setMessage('');
      evaluate.reset();
      void queryClient.invalidateQueries({ queryKey: ['policies'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Policies">
      <h2 className="font-semibold">Policies</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Rules over what a change would do, in CEL over <code>tool</code>, <code>args</code>, <code>cluster</code>, <code>namespaces</code>, <code>objects</code>, <code>risks</code>, <code>requester</code> and <code>now</code>. The gate judges
        every proposed call: a deny refuses it before anyone is asked; several policies combine to the strictest.
      </p>
      {list.isPending ? <Spinner /> : null}
      {list.isError ? <ErrorNote>{list.error.message}</ErrorNote> : null}
      {list.data?.data.length === 0 ? <p className="text-sm text-muted">No policies yet.</p> : null}
      <ul className="divide-y divide-border">{list.data?.data.map((policy) => <PolicyRow key={policy.id} policy={policy} />)}</ul>
      <form className="mt-4 space-y-2" onSubmit={submit} aria-label="New policy">
        <Field label="Name" htmlFor="policy-name">
          <Input id="policy-name" value={name} onChange={(event) => setName(event.target.value)} placeholder="no scale to zero in prod" />
        </Field>
        <Field label="Expression (CEL)" htmlFor="policy-expression" hint='e.g. tool == "k8s_scale" && args.replicas == 0 && cluster.labels.env == "prod"'>
          <textarea id="policy-expression" className="h-20 w-full rounded-md border border-border bg-panel p-2 font-mono text-xs" value={expression} onChange={(event) => setExpression(event.target.value)} spellCheck={false} />
        </Field>
        <div className="flex flex-wrap items-end gap-2">
          <Field label="Effect" htmlFor="policy-effect">
            <select id="policy-effect" className="h-9 rounded-md border border-border bg-panel px-2 text-sm" value={kind} onChange={(event) => setKind(event.target.value as EffectKind)}>
              <option value="deny">deny</option>
              <option value="warn">warn</option>
              <option value="require_approvers">require approvers</option>
              <option value="require_passkey">require passkey</option>
              <option value="require_role">require role</option>
            </select>
          </Field>
          {kind === 'require_approvers' ? (
            <Field label="Approvers" htmlFor="policy-approvers">
              <Input id="policy-approvers" type="number" min={1} max={10} value={approvers} onChange={(event) => setApprovers(Number(event.target.value))} className="w-20" />
            </Field>
          ) : null}
          {kind === 'require_role' ? (
            <Field label="Role" htmlFor="policy-role">
              <select id="policy-role" className="h-9 rounded-md border border-border bg-panel px-2 text-sm" value={role} onChange={(event) => setRole(event.target.value as 'approver' | 'admin')}>
                <option value="approver">approver</option>
                <option value="admin">admin</option>
              </select>
            </Field>
          ) : null}
        </div>
        <Field label="Message" htmlFor="policy-message" hint="Shown on the card and with a refusal">
          <Input id="policy-message" value={message} onChange={(event) => setMessage(event.target.value)} />
        </Field>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} /> Enabled when saved
        </label>
        {evaluate.isError ? <ErrorNote>{evaluate.error.message}</ErrorNote> : null}
        {evaluate.data ? <Preview result={evaluate.data} /> : null}
        {create.isError ? <ErrorNote>{create.error.message}</ErrorNote> : null}
        <div className="flex gap-2">
          <Button type="button" onClick={() => evaluate.mutate()} disabled={!expression.trim() || evaluate.isPending}>
            What would this have done?
          </Button>
          <Button type="submit" variant="primary" disabled={!name.trim() || !expression.trim() || create.isPending}>
            Save policy
          </Button>
        </div>
      </form>
    </section>
  );
}
