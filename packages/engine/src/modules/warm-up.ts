/**
 * The warm-up for the composition root (create-engine.ts): a moment after the engine listens, the agent's workflow
 * and the MCP server's catalogue load in the background.
 */
import { clustersUnavailableMessage } from '../domain/clusters/clusters-unavailable.ts';
import type { DeferredToolGateway } from './startup/deferred-tool-gateway.ts';

export interface WarmUpDeps {
  /** how long after listening it starts */
  delayMs: number;
  /** our MCP server's gateway while it loads (a test's gateway is ready: nothing to load) */
  tools: DeferredToolGateway | undefined;
  /** lists the clusters (and caches them for the first page that asks) */
  listClusters: () => Promise<unknown>;
  agent: { start(): void };
  /** after the catalogue loads or fails: the heap trim counts it as activity */
  onSettled: () => void;
  logger: { error(message: string): void };
}

export function createWarmUp(deps: WarmUpDeps) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    start() {
      // Loading the agent and the MCP catalogue compiles ~0.5 s of modules on this thread; started at once, it would
      // hold up the first requests (health probes, the UI's first page). A request that needs either loads it now.
      timer = setTimeout(() => {
        // A first run without a kubeconfig fails here: say so in the start-up log, in the words /health and
        // GET /clusters use, rather than only when someone asks (issue 37 item 1).
        // The listing is then cached for the first page that asks.
        deps.tools
          ?.listTools()
          .then(() => deps.listClusters())
          .catch((error: unknown) => {
            if (!stopped) deps.logger.error(clustersUnavailableMessage(error));
          })
          .finally(deps.onSettled);
        deps.agent.start();
      }, deps.delayMs);
      timer.unref();
    },
    /** the engine is closing: a failure to load is then no news */
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
