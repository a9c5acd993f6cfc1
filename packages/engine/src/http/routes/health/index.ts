import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { BusHealth, EventBus, Storage } from '../../../platform/ports/index.ts';
import { dependencyRetryAfterSeconds, type DependencyProbes } from '../../../platform/observability/dependency-probes.ts';

export interface HealthRouteDeps {
  storage: Pick<Storage, 'ping'>;
  /** the event bus, whose backend (Redis) may fail while the engine runs */
  bus?: Pick<EventBus, 'health'>;
  /**
   * Readiness of parts that start after the engine listens (the embedded MCP server), merged into GET /health.
   * Liveness does not depend on them.
   */
  readiness?: () => Record<string, string>;
  /**
   * The configured clusters' reachability (issue 22), briefly cached; undefined while it cannot be known (the MCP
   * server is still loading, or lists no clusters). An unreachable cluster makes the engine `degraded`.
   */
  clusters?: () => Promise<{ ok: boolean; detail: string; replicaFault?: boolean } | undefined>;
  /** the embedded database's disk (storage/disk-full.ts): a full one makes the engine `degraded` */
  disk?: () => Promise<{ ok: boolean; detail: string }>;
  /**
   * Whether this caller may read why a component fails (a signed-in person). Anyone may call /health (probes, load
   * balancers), and a reason names hosts, paths and clusters; without this, or when it says no, a failing component
   * reads just `error`. The engine's log has every reason either way.
   */
  showsReasons?: (request: FastifyRequest) => Promise<boolean>;
  /**
   * Issue 75: the database and the bus probed with a real round trip and a timeout (observability/dependency-probes.ts),
   * the same probes a new run is refused by. Absent: the database is pinged here and the bus reports itself.
   */
  dependencies?: Pick<DependencyProbes, 'check'>;
  /**
   * Issue 76: the emergency stop as the database holds it. /health shows `emergency_stop: {active, since}` to anyone
   * (a probe, a status page) and its reason and who engaged it to signed-in people. It does not make the engine
   * degraded or unready: reads still work, and every replica is stopped alike.
   */
  emergencyStop?: () => Promise<{ active: boolean; reason?: string; by?: string; since?: string }>;
}

/** A database that does not answer within this long counts as failing (a hung connection must not hang /health). */
const databaseTimeoutMs = 2_000;

async function pingDatabase(storage: Pick<Storage, 'ping'>): Promise<{ ok: true } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      storage.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${databaseTimeoutMs} ms`)), databaseTimeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const describeBus = (health: BusHealth) => (health.status === 'ok' ? 'ok' : `error: ${health.detail}`);

/** What a caller who may not read the reasons is told, where a reason would be */
const withheldReasons = "each failing component's reason is shown to signed-in users and written to the engine's log";

/** `error: <reason>` → `error`; states without a reason (`ok`, `starting`, `ready`) as they are */
const withoutReason = (value: string): string => value.replace(/^error:[\s\S]*$/, 'error');

const withoutReasons = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, withoutReason(value)]));

/**
 * The health report (spec §1). GET /health answers 200 while the process serves requests, with
 * `status: "degraded"` and the failing component named when the database or the event bus is down (a degraded
 * engine still serves reads; chats end with a clear error until the component is back). Why it fails is for
 * signed-in users and the log only (`showsReasons`), as Kubernetes' own health checks withhold theirs.
 */
/**
 * What GET /health, /readyz and the metrics all answer from: each component probed (issue 75: a real round trip with
 * a timeout, so a frozen Redis or a hung database reads as failing), and whether the engine is degraded — a part a
 * user's request needs does not work.
 */
async function assess(deps: HealthRouteDeps, request: FastifyRequest): Promise<{ degraded: boolean; unready: boolean; body: Record<string, unknown> }> {
  const { storage, bus, readiness, clusters, disk, showsReasons, dependencies } = deps;
  // a round trip of its own (or the one in flight): what the probe reads is the state now, not a second ago
  const probed = dependencies?.check({ fresh: true });
  const [database, busHealth, clusterHealth, diskHealth] = await Promise.all([
    probed ? probed.then(({ database: result }) => (result.ok ? { ok: true as const } : { ok: false as const, error: result.detail })) : pingDatabase(storage),
    probed ? probed.then(({ bus: result }): BusHealth => (result.ok ? { status: 'ok' } : { status: 'error', detail: result.detail })) : Promise.resolve(bus?.health() ?? ({ status: 'ok' } as BusHealth)),
    clusters?.().catch((error: unknown): { ok: boolean; detail: string; replicaFault?: boolean } => ({ ok: false, detail: `error: ${error instanceof Error ? error.message : String(error)}` })),
    disk?.(),
  ]);
  const components = { database: database.ok ? 'ok' : `error: ${database.error}`, bus: describeBus(busHealth), ...(clusterHealth ? { clusters: clusterHealth.detail } : {}), ...(diskHealth ? { disk: diskHealth.detail } : {}) };
  const degraded = !database.ok || busHealth.status !== 'ok' || clusterHealth?.ok === false || diskHealth?.ok === false;
  // what another replica would serve better: its own database, bus or disk, or cluster credentials only it holds
  // stale — not a cluster that is down for everyone (cluster-health.ts replicaFault)
  const unready = !database.ok || busHealth.status !== 'ok' || diskHealth?.ok === false || (clusterHealth?.ok === false && clusterHealth.replicaFault === true);
  if (degraded) request.log.warn({ components }, 'health check: degraded');
  const ready = readiness?.() ?? {};
  const stop = await deps.emergencyStop?.().catch(() => undefined);
  if (showsReasons && (await showsReasons(request).catch(() => false))) return { degraded, unready, body: { ...ready, status: degraded ? 'degraded' : 'ok', components, ...(stop ? { emergency_stop: stop } : {}) } };
  const shownStop = stop ? { emergency_stop: { active: stop.active, ...(stop.since ? { since: stop.since } : {}) } } : {};
  const [shownReady, shownComponents] = [withoutReasons(ready), withoutReasons(components)];
  const failing = [...Object.values(shownReady), ...Object.values(shownComponents)].includes('error');
  return { degraded, unready, body: { ...shownReady, status: degraded ? 'degraded' : 'ok', components: shownComponents, ...shownStop, ...(failing ? { reasons: withheldReasons } : {}) } };
}

/**
 * Kubernetes-style probes at the server's root, where a kubelet or a load balancer looks for them (issue 75):
 *   GET /livez  — 200 while the process serves requests; nothing else (a restart would not fix a dependency).
 *   GET /readyz — 200 when this replica can serve, 503 with Retry-After when its database, bus or disk fails or its
 *                 cluster credentials are rejected (the body is /health's), so a Service stops sending users to a
 *                 replica another would serve better. A cluster unreachable for everyone degrades /health but keeps
 *                 the replica ready: taking every replica out would cut people off while they investigate it.
 */
export const probeRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, deps) => {
  const config = { public: true };
  app.get('/livez', { config }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config }, async (request, reply) => {
    const { unready, body } = await assess(deps, request);
    if (unready) void reply.code(503).header('retry-after', String(dependencyRetryAfterSeconds));
    return body;
  });
};

export const healthRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, deps) => {
  const { storage, showsReasons } = deps;
  const config = { public: true };
  const mayReadReasons = async (request: FastifyRequest) => (showsReasons ? showsReasons(request).catch(() => false) : false);
  app.get('/health', { config }, async (request) => (await assess(deps, request)).body);
  app.get('/health/database', { config }, async (request) => {
    const database = await pingDatabase(storage);
    if (database.ok) return { status: 'ok', database: 'connected' };
    request.log.warn({ error: database.error }, 'database ping failed');
    if (await mayReadReasons(request)) return { status: 'error', database: 'disconnected', error: database.error };
    return { status: 'error', database: 'disconnected', reasons: withheldReasons };
  });
};
