/**
 * Renders rollouts the way `kubectl argo rollouts get/status/list` does, computed from the objects
 * alone (no plugin): phase and message, strategy and step, weights, images per ReplicaSet role.
 */
import { podTemplateHashLabel, revisionOf, type KubeObjectLike } from './rollout-api.ts';

export type RolloutPhase = 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';

const phaseIcons: Record<string, string> = { Healthy: '✔', Progressing: '◌', Paused: '॥', Degraded: '✖' };

export interface RolloutState {
  phase: string;
  message: string;
}

/** The controller's status.phase when present; otherwise the same rules the plugin applies. */
export function rolloutState(rollout: KubeObjectLike): RolloutState {
  const status = rollout.status ?? {};
  if (typeof status.phase === 'string' && status.phase) return { phase: status.phase, message: status.message ?? '' };
  if (status.abort) return { phase: 'Degraded', message: 'RolloutAborted: Rollout aborted update' };
  const pauseConditions: Array<{ reason?: string }> = status.pauseConditions ?? [];
  if (rollout.spec?.paused) return { phase: 'Paused', message: 'manually paused' };
  if (pauseConditions.length > 0) return { phase: 'Paused', message: pauseConditions.map((condition) => condition.reason).join(', ') };
  const generation = rollout.metadata.generation;
  const observed = Number(status.observedGeneration ?? NaN);
  if (generation !== undefined && !Number.isNaN(observed) && observed < generation) return { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  const desired = rollout.spec?.replicas ?? 1;
  if ((status.updatedReplicas ?? 0) < desired) return { phase: 'Progressing', message: 'more replicas need to be updated' };
  if ((status.availableReplicas ?? 0) < desired) return { phase: 'Progressing', message: 'updated replicas are still becoming available' };
  if (status.stableRS && status.currentPodHash && status.stableRS !== status.currentPodHash) return { phase: 'Progressing', message: 'waiting for the canary to become stable' };
  return { phase: 'Healthy', message: '' };
}

export function phaseWithIcon(phase: string): string {
  return `${phaseIcons[phase] ?? '•'} ${phase}`;
}

export function strategyOf(rollout: KubeObjectLike): 'Canary' | 'BlueGreen' | 'Unknown' {
  if (rollout.spec?.strategy?.canary) return 'Canary';
  if (rollout.spec?.strategy?.blueGreen) return 'BlueGreen';
  return 'Unknown';
}

interface CanaryProgress {
  step: string;
  setWeight: number;
  actualWeight?: number;
}

function canaryProgress(rollout: KubeObjectLike): CanaryProgress | undefined {
  const steps: Array<Record<string, unknown>> = rollout.spec?.strategy?.canary?.steps ?? [];
  const status = rollout.status ?? {};
  const index: number = status.currentStepIndex ?? (steps.length > 0 ? 0 : 0);
  let setWeight = steps.length === 0 || index >= steps.length ? 100 : 0;
  if (setWeight !== 100) {
    for (let position = 0; position <= Math.min(index, steps.length - 1); position += 1) {
      if (typeof steps[position].setWeight === 'number') setWeight = steps[position].setWeight as number;
    }
  }
  if (status.stableRS && status.currentPodHash === status.stableRS) setWeight = 100;
  const actual = status.canary?.weights?.canary?.weight;
  return { step: steps.length > 0 ? `${Math.min(index, steps.length)}/${steps.length}` : '', setWeight, actualWeight: typeof actual === 'number' ? actual : undefined };
}

function imagesOf(object: KubeObjectLike | undefined): string[] {
  const containers: Array<{ image?: string }> = object?.spec?.template?.spec?.containers ?? [];
  return containers.map((container) => container.image ?? '?');
}

/** Role of a ReplicaSet relative to the rollout: stable, canary, active, preview. */
export function replicaSetRoles(rollout: KubeObjectLike, replicaSet: KubeObjectLike): string[] {
  const hash = replicaSet.metadata.labels?.[podTemplateHashLabel];
  const status = rollout.status ?? {};
  const roles: string[] = [];
  if (!hash) return roles;
  if (hash === status.stableRS) roles.push('stable');
  if (strategyOf(rollout) === 'Canary' && hash === status.currentPodHash && hash !== status.stableRS) roles.push('canary');
  if (status.blueGreen?.activeSelector === hash) roles.push('active');
  if (status.blueGreen?.previewSelector === hash) roles.push('preview');
  return roles;
}

function field(label: string, value: string | number): string {
  return `${label.padEnd(16)} ${value}`;
}

/** The summary block of `kubectl argo rollouts get rollout` (everything above the ReplicaSet tree). */
export function renderRolloutSummary(rollout: KubeObjectLike, replicaSets: KubeObjectLike[]): string {
  const state = rolloutState(rollout);
  const status = rollout.status ?? {};
  const strategy = strategyOf(rollout);
  const lines = [field('Name:', rollout.metadata.name), field('Namespace:', rollout.metadata.namespace ?? 'default'), field('Status:', phaseWithIcon(state.phase))];
  if (state.message) lines.push(field('Message:', state.message));
  lines.push(field('Strategy:', strategy));
  if (strategy === 'Canary') {
    const progress = canaryProgress(rollout);
    if (progress?.step) lines.push(field('  Step:', progress.step));
    if (progress) lines.push(field('  SetWeight:', progress.setWeight));
    if (progress?.actualWeight !== undefined) lines.push(field('  ActualWeight:', progress.actualWeight));
  }
  const imageLines: string[] = [];
  for (const replicaSet of replicaSets) {
    const roles = replicaSetRoles(rollout, replicaSet);
    if (roles.length === 0) continue;
    for (const image of imagesOf(replicaSet)) imageLines.push(`${image} (${roles.join(', ')})`);
  }
  if (imageLines.length === 0) imageLines.push(...imagesOf(rollout));
  lines.push(field('Images:', imageLines[0] ?? '<none>'));
  for (const extra of imageLines.slice(1)) lines.push(`${' '.repeat(17)}${extra}`);
  lines.push('Replicas:');
  lines.push(field('  Desired:', rollout.spec?.replicas ?? 1));
  lines.push(field('  Current:', status.replicas ?? 0));
  lines.push(field('  Updated:', status.updatedReplicas ?? 0));
  lines.push(field('  Ready:', status.readyReplicas ?? 0));
  lines.push(field('  Available:', status.availableReplicas ?? 0));
  return lines.join('\n');
}

/** The ReplicaSet part of `get rollout`: one row per revision with role and pod counts. */
export function renderReplicaSetTable(rollout: KubeObjectLike, replicaSets: KubeObjectLike[], now: Date): string {
  if (replicaSets.length === 0) return 'ReplicaSets: none yet (the Argo Rollouts controller creates them).';
  const rows = [['REVISION', 'REPLICASET', 'STATUS', 'READY', 'AGE', 'INFO']];
  for (const replicaSet of replicaSets) {
    const desired = replicaSet.spec?.replicas ?? 0;
    const ready = replicaSet.status?.readyReplicas ?? 0;
    const health = desired === 0 ? '• ScaledDown' : ready >= desired ? '✔ Healthy' : '◌ Progressing';
    rows.push([
      `revision:${revisionOf(replicaSet)}`,
      replicaSet.metadata.name,
      health,
      `${ready}/${desired}`,
      age(replicaSet.metadata.creationTimestamp, now),
      replicaSetRoles(rollout, replicaSet).join(','),
    ]);
  }
  return renderTable(rows);
}

export function renderTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('   ').trimEnd()).join('\n');
}

/** kubectl-style age: 45s, 12m, 3h, 5d. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(timestamp).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function canaryStepSummary(rollout: KubeObjectLike): string {
  const progress = strategyOf(rollout) === 'Canary' ? canaryProgress(rollout) : undefined;
  return progress?.step ? `step ${progress.step}, weight ${progress.setWeight}%` : '';
}
