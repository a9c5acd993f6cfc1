/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: the holder renews
 * renewTime every retry period; another candidate takes over only once renewTime + leaseDurationSeconds has passed.
 * Writes carry the Lease's resourceVersion, so two candidates can never both win the same term. A leader that
 * stops cleanly clears holderIdentity, so the next one takes over at its next retry instead of after the lease expires.
 */
import { isConflict, type KubeObject, type KubeRest } from '../kube/kube-rest.ts';

export interface LeaderElector {
  /** resolves once this process holds the lease */
  leading(): Promise<void>;
  isLeader(): boolean;
  /** stops renewing and releases the lease if held */
  stop(): Promise<void>;
}

export interface LeaderElectionOptions {
  kube: KubeRest;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  retryPeriodMs: number;
  /** called when a held lease could not be renewed in time: the process must stop reconciling */
  onLost(): void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  now?: () => Date;
}

interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function createLeaderElector(options: LeaderElectionOptions): LeaderElector {
  const now = options.now ?? (() => new Date());
  const reference = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: options.namespace, name: options.name };
  let leader = false;
  let stopped = false;
  let lastRenew = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveLeading: () => void;
  const leadingPromise = new Promise<void>((resolve) => (resolveLeading = resolve));

  async function tryAcquireOrRenew(): Promise<boolean> {
    const current = now();
    const lease = await options.kube.get<LeaseObject>(reference);
    const spec = { holderIdentity: options.identity, leaseDurationSeconds: options.leaseDurationSeconds, renewTime: microTime(current) };
    if (!lease) {
      await options.kube.create<LeaseObject>({ ...reference, metadata: { name: options.name, namespace: options.namespace }, spec: { ...spec, acquireTime: microTime(current), leaseTransitions: 0 } });
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    if (holder === options.identity) {
      await options.kube.replace<LeaseObject>({ ...lease, spec: { ...lease.spec, ...spec } });
      return true;
    }
    const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '') || 0;
    const duration = (lease.spec?.leaseDurationSeconds ?? options.leaseDurationSeconds) * 1000;
    if (holder && renewed + duration > current.getTime()) return false;
    await options.kube.replace<LeaseObject>({ ...lease, spec: { ...lease.spec, ...spec, acquireTime: microTime(current), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } });
    return true;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    try {
      const held = await tryAcquireOrRenew();
      if (held) {
        lastRenew = Date.now();
        if (!leader) {
          leader = true;
          options.log?.('became the leader', { lease: `${options.namespace}/${options.name}`, identity: options.identity });
          resolveLeading();
        }
      } else if (leader) {
        leader = false;
        options.onLost();
      }
    } catch (error) {
      if (!isConflict(error)) options.log?.('lease update failed', { error: error instanceof Error ? error.message : String(error) });
      if (leader && Date.now() - lastRenew > options.leaseDurationSeconds * 1000) {
        leader = false;
        options.onLost();
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), options.retryPeriodMs);
  }

  void tick();
  return {
    leading: () => leadingPromise,
    isLeader: () => leader,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (!leader) return;
      leader = false;
      try {
        const lease = await options.kube.get<LeaseObject>(reference);
        if (lease?.spec?.holderIdentity === options.identity) await options.kube.replace<LeaseObject>({ ...lease, spec: { ...lease.spec, holderIdentity: null } });
      } catch {
        // the lease expires by itself
      }
    },
  };
}
