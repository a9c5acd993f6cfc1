import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { BusHealth, EventBus, Storage } from '../../../ports/index.ts';

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
  clusters?: () => Promise<{ ok: boolean; detail: string } | undefined>;
  /** the embedded database's disk (storage/disk-full.ts): a full one makes the engine `degraded` */
  disk?: () => Promise<{ ok: boolean; detail: string }>;
  /**
   * Whether this caller may read why a component fails (a signed-in person). Anyone may call /health (probes, load
   * balancers), and a reason names hosts, paths and clusters; without this, or when it says no, a failing component
   * reads just `error`. The engine's log has every reason either way.
   */
  showsReasons?: (request: FastifyRequest) => Promise<boolean>;
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
 * Liveness and database readiness (spec §1). GET /health answers 200 while the process serves requests, with
 * `status: "degraded"` and the failing component named when the database or the event bus is down (a degraded
 * engine still serves reads; chats end with a clear error until the component is back). Why it fails is for
 * signed-in users and the log only (`showsReasons`), as Kubernetes' own health checks withhold theirs.
 */
export const healthRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, { storage, bus, readiness, clusters, disk, showsReasons }) => {
  const config = { public: true };
  const mayReadReasons = async (request: FastifyRequest) => (showsReasons ? showsReasons(request).catch(() => false) : false);
  app.get('/health', { config }, async (request) => {
    const [database, clusterHealth, diskHealth] = await Promise.all([pingDatabase(storage), clusters?.().catch((error: unknown) => ({ ok: false, detail: `error: ${error instanceof Error ? error.message : String(error)}` })), disk?.()]);
    const busHealth: BusHealth = bus?.health() ?? { status: 'ok' };
    const components = { database: database.ok ? 'ok' : `error: ${database.error}`, bus: describeBus(busHealth), ...(clusterHealth ? { clusters: clusterHealth.detail } : {}), ...(diskHealth ? { disk: diskHealth.detail } : {}) };
    const degraded = !database.ok || busHealth.status !== 'ok' || clusterHealth?.ok === false || diskHealth?.ok === false;
    if (degraded) request.log.warn({ components }, 'health check: degraded');
    const ready = readiness?.() ?? {};
    if (await mayReadReasons(request)) return { ...ready, status: degraded ? 'degraded' : 'ok', components };
    const [shownReady, shownComponents] = [withoutReasons(ready), withoutReasons(components)];
    const failing = [...Object.values(shownReady), ...Object.values(shownComponents)].includes('error');
    return { ...shownReady, status: degraded ? 'degraded' : 'ok', components: shownComponents, ...(failing ? { reasons: withheldReasons } : {}) };
  });
  app.get('/health/database', { config }, async (request) => {
    const database = await pingDatabase(storage);
    if (database.ok) return { status: 'ok', database: 'connected' };
    request.log.warn({ error: database.error }, 'database ping failed');
    if (await mayReadReasons(request)) return { status: 'error', database: 'disconnected', error: database.error };
    return { status: 'error', database: 'disconnected', reasons: withheldReasons };
  });
};
