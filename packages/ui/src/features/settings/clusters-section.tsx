/**
 * Settings → Clusters (admins): every cluster with its approval policy for writes (read-only, requester approves,
 * approver required, four eyes), optionally narrowed per namespace pattern ("payments-*"). Saving one cluster PUTs
 * the whole list (GET/PUT /clusters/policies); a cluster without a policy follows the engine's environment defaults.
 */
import type { ClusterPolicy, ClusterPolicyMode, ClusterStatus } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { ApiError, skyflo } from '../../lib/api.ts';
import { Button, ErrorNote, Input, Spinner } from '../../components/ui.tsx';
import { ClusterLabelBadge } from '../../components/clusters/cluster-badge.tsx';
import { invalidPatterns, policiesOf, policyModes, withClusterPolicies } from '../../components/clusters/cluster-labels.ts';
import { useClusters } from '../../components/clusters/clusters-query.ts';
import { engineOnlyEnforcement, engineOnlyWarning } from '../../lib/approval-enforcement.ts';

function ModeSelect({ value, onChange, label, allowDefault }: { value: ClusterPolicyMode | ''; onChange(mode: ClusterPolicyMode | ''): void; label: string; allowDefault?: boolean }) {
  return (
    <select aria-label={label} value={value} onChange={(event) => onChange(event.target.value as ClusterPolicyMode | '')} className="h-8 rounded-md border border-border bg-panel px-2 text-sm">
      {allowDefault ? <option value="">Default (environment)</option> : null}
      {policyModes.map((entry) => (
        <option key={entry.mode} value={entry.mode} title={entry.help}>
          {entry.label}
        </option>
      ))}
    </select>
  );
}

function ClusterPolicyRow({ cluster, policies, saving, onSave }: { cluster: ClusterStatus; policies: ClusterPolicy[]; saving: boolean; onSave(mode: ClusterPolicyMode | undefined, rows: Array<{ pattern: string; mode: ClusterPolicyMode }>): void }) {
  const own = policiesOf(policies, cluster.name);
  const [mode, setMode] = useState<ClusterPolicyMode | ''>(own.find((policy) => !policy.namespace_pattern)?.mode ?? '');
  const [rows, setRows] = useState(own.filter((policy) => policy.namespace_pattern).map((policy) => ({ pattern: policy.namespace_pattern!, mode: policy.mode })));
  const invalid = invalidPatterns(rows.map((row) => row.pattern.trim()).filter(Boolean));
  return (
    <li className="rounded-md border border-border p-3" data-testid="cluster-policy" data-cluster={cluster.name}>
      <div className="flex flex-wrap items-center gap-2">
        <span role="img" className={`h-2 w-2 rounded-full ${cluster.reachable ? 'bg-ok' : 'bg-danger'}`} aria-label={cluster.reachable ? 'reachable' : 'unreachable'} />
        <span className="font-medium">{cluster.name}</span>
        <ClusterLabelBadge label={cluster.label} />
        <code className="truncate font-mono text-xs text-muted">{cluster.server}</code>
        <span className="ml-auto">
          <ModeSelect label={`Policy for writes on ${cluster.name}`} value={mode} onChange={setMode} allowDefault />
        </span>
      </div>
      {rows.length > 0 ? (
        <ul className="mt-2 space-y-1.5" aria-label={`Namespace policies on ${cluster.name}`}>
          {rows.map((row, index) => (
            <li key={index} className="flex items-center gap-2">
              <span className="text-xs text-muted">namespaces</span>
              <Input
                aria-label={`Namespace pattern ${index + 1} on ${cluster.name}`}
                value={row.pattern}
                placeholder="payments-*"
                onChange={(event) => setRows(rows.map((other, at) => (at === index ? { ...other, pattern: event.target.value } : other)))}
                className="h-8 max-w-56"
              />
              <ModeSelect label={`Policy for namespace pattern ${index + 1} on ${cluster.name}`} value={row.mode} onChange={(next) => setRows(rows.map((other, at) => (at === index ? { ...other, mode: (next || 'approver') as ClusterPolicyMode } : other)))} />
              <Button size="sm" variant="ghost" aria-label={`Remove namespace pattern ${index + 1}`} onClick={() => setRows(rows.filter((_, at) => at !== index))}>
                <Trash2 className="h-3.5 w-3.5" aria-hidden />
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
      {engineOnlyEnforcement(cluster) ? (
        <p role="note" className="mt-2 rounded-md border border-warn/60 bg-warn/10 px-3 py-2 text-xs text-warn" data-testid="engine-only-enforcement">
          {engineOnlyWarning}
        </p>
      ) : null}
      {invalid.length > 0 ? <p className="mt-1 text-xs text-danger">Not a namespace pattern: {invalid.join(', ')} (lower-case letters, digits, '-', '.' and '*').</p> : null}
      <div className="mt-2 flex gap-2">
        <Button size="sm" variant="ghost" onClick={() => setRows([...rows, { pattern: '', mode: 'approver' }])}>
          <Plus className="h-3.5 w-3.5" aria-hidden /> Namespace pattern
        </Button>
        <Button size="sm" variant="primary" disabled={saving || invalid.length > 0} onClick={() => onSave(mode || undefined, rows)}>
          Save {cluster.name}
        </Button>
      </div>
    </li>
  );
}

export function ClustersSection() {
  const queryClient = useQueryClient();
  const clusters = useClusters();
  const policies = useQuery({
    queryKey: ['cluster-policies'],
    queryFn: () => skyflo.clusterPolicies().catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error))),
    retry: false,
  });
  const save = useMutation({
    mutationFn: (next: ClusterPolicy[]) => skyflo.setClusterPolicies(next),
    onSuccess: (saved) => {
      queryClient.setQueryData(['cluster-policies'], saved);
      void queryClient.invalidateQueries({ queryKey: ['clusters'] });
    },
  });
  if (clusters.data === null || policies.data === null) return null; // an engine without clusters
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Clusters" id="clusters">
      <h2 className="font-semibold">Clusters</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Who may approve changes, per cluster and optionally per namespace pattern. Read-only refuses every write before an approval is asked; a namespace pattern overrides its cluster's policy.
      </p>
      {clusters.isPending || policies.isPending ? <Spinner /> : null}
      {clusters.isError ? <ErrorNote>{clusters.error.message}</ErrorNote> : null}
      {policies.isError ? <ErrorNote>{policies.error.message}</ErrorNote> : null}
      {save.isError ? <ErrorNote>{save.error.message}</ErrorNote> : null}
      {save.isSuccess ? (
        <p role="status" className="mb-2 text-sm text-ok">
          Saved.
        </p>
      ) : null}
      {clusters.data && policies.data ? (
        <ul className="space-y-2">
          {clusters.data.clusters.map((cluster) => (
            <ClusterPolicyRow
              key={`${cluster.name}:${JSON.stringify(policiesOf(policies.data!.policies, cluster.name))}`}
              cluster={cluster}
              policies={policies.data!.policies}
              saving={save.isPending}
              onSave={(mode, rows) => save.mutate(withClusterPolicies(policies.data!.policies, cluster.name, mode, rows))}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
