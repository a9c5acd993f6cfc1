/**
 * Settings → Clusters → Passkeys (issue 35, admin): per cluster, when approving needs the approver's passkey — every
 * approval, destructive and high-risk calls (the default on clusters labelled production), or never.
 */
import type { ClusterPasskeyPolicy, PasskeyPolicyMode } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { skyflo } from '../../lib/api.ts';
import { ErrorNote } from '../../components/ui.tsx';

const modeWords: Record<PasskeyPolicyMode, string> = {
  every_approval: 'Passkey for every approval',
  destructive_and_high_risk: 'Passkey for destructive and high-risk calls',
  never: 'Never',
};

export function PasskeyPolicySection() {
  const queryClient = useQueryClient();
  const view = useQuery({ queryKey: ['passkey-policies'], queryFn: () => skyflo.clusterPasskeyPolicies() });
  const save = useMutation({
    mutationFn: (policies: ClusterPasskeyPolicy[]) => skyflo.saveClusterPasskeyPolicies({ policies }),
    onSuccess: (saved) => queryClient.setQueryData(['passkey-policies'], saved),
  });
  const setMode = (cluster: string, mode: PasskeyPolicyMode) => {
    const explicit = (view.data?.policies ?? []).filter((entry) => entry.source === 'setting' && entry.cluster !== cluster).map(({ cluster: name, mode: kept }) => ({ cluster: name, mode: kept }));
    save.mutate([...explicit, { cluster, mode }]);
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Passkeys for approvals">
      <h2 className="font-semibold">Passkeys for approvals</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">When approving a change on a cluster needs the approver&apos;s passkey. Clusters labelled production ask for destructive and high-risk calls unless set here.</p>
      {view.isError ? <ErrorNote>{view.error.message}</ErrorNote> : null}
      {save.isError ? <ErrorNote>{save.error.message}</ErrorNote> : null}
      {save.isSuccess ? <p role="status" className="mb-2 text-sm text-ok">Saved.</p> : null}
      <ul className="space-y-2">
        {view.data?.policies.map((entry) => (
          <li key={entry.cluster} className="flex flex-wrap items-center justify-between gap-2 text-sm">
            <span>
              <span className="font-medium">{entry.cluster}</span>
              {entry.label ? <span className="text-muted"> [{entry.label}]</span> : null}
              {entry.source === 'default' ? <span className="text-muted"> (default)</span> : null}
            </span>
            <select
              aria-label={`Passkey policy for ${entry.cluster}`}
              className="rounded-md border border-border bg-panel-2 px-2 py-1.5"
              value={entry.mode}
              disabled={save.isPending}
              onChange={(event) => setMode(entry.cluster, event.target.value as PasskeyPolicyMode)}
            >
              {(Object.keys(modeWords) as PasskeyPolicyMode[]).map((mode) => (
                <option key={mode} value={mode}>
                  {modeWords[mode]}
                </option>
              ))}
            </select>
          </li>
        ))}
      </ul>
    </section>
  );
}
