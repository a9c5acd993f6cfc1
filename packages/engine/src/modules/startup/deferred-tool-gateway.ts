/**
 * A ToolGateway whose real gateway is loaded later. Why: the embedded MCP server pulls in @kubernetes/client-node
 * and the MCP SDK (~1.7 s of imports), which must not delay /api/v1/health. Calls made before it is loaded wait
 * for it; `status()` says how far it got, for the health route.
 */
import { ToolCallNotRunError, type ToolGateway } from '../../platform/ports/tool-gateway.ts';
import { loadOnce } from '../../platform/config/load-once.ts';

export type ToolGatewayStatus = 'starting' | 'ready' | `error: ${string}`;

export interface DeferredToolGateway extends ToolGateway {
  /** 'starting' until the first tool listing, then 'ready' or 'error: …' (the latest listing's outcome) */
  status(): ToolGatewayStatus;
  /** Loads and connects in the background (idempotent); calls made earlier load it on demand. */
  start(): void;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createDeferredToolGateway(load: () => Promise<ToolGateway>): DeferredToolGateway {
  const loaded = loadOnce(load);
  let status: ToolGatewayStatus = 'starting';
  let closed = false;

  // A gateway that is closed or could not load sends nothing: a call that fails here did not run.
  const gateway = (): Promise<ToolGateway> => {
    if (closed) return Promise.reject(new ToolCallNotRunError('the tool gateway is closed'));
    return loaded.get().catch((error: unknown) => {
      status = `error: ${messageOf(error)}`;
      throw error instanceof ToolCallNotRunError ? error : new ToolCallNotRunError(messageOf(error), { cause: error });
    });
  };

  const deferred: DeferredToolGateway = {
    status: () => status,
    start() {
      deferred.listTools().catch(() => undefined);
    },
    async listTools(options) {
      const loaded = await gateway();
      try {
        const tools = await loaded.listTools(options);
        status = 'ready';
        return tools;
      } catch (error) {
        status = `error: ${messageOf(error)}`;
        throw error;
      }
    },
    callTool: async (input) => (await gateway()).callTool(input),
    preview: async (input) => (await gateway()).preview(input),
    async close() {
      closed = true;
      const gateway = await loaded.started()?.catch(() => undefined);
      await gateway?.close();
    },
  };
  return deferred;
}
