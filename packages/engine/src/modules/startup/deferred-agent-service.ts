/**
 * An AgentService whose real service is loaded later. Why: the agent workflow pulls in LangGraph, the AI SDK and
 * the checkpointer (~0.8 s of imports), which must not delay /api/v1/health. Requests made before it is loaded wait
 * for it; the engine starts loading it shortly after it listens, so the reconciler of orphaned approvals still runs
 * right after start-up.
 */
import type { AgentService, AgentServiceDeps } from '../../app/agent/create-agent-service.ts';
import { loadOnce } from '../../platform/config/load-once.ts';

export interface DeferredAgentService extends AgentService {
  /** Loads in the background (idempotent); requests made earlier load it on demand. */
  start(): void;
}

export function createDeferredAgentService(load: () => Promise<AgentService>): DeferredAgentService {
  const loaded = loadOnce(load);
  let closed = false;

  const service = (): Promise<AgentService> => (closed ? Promise.reject(new Error('the agent service is closed')) : loaded.get());

  return {
    start() {
      service().catch(() => undefined);
    },
    prepareChat: async (input) => (await service()).prepareChat(input),
    prepareDecision: async (input) => (await service()).prepareDecision(input),
    prepareUndo: async (input) => (await service()).prepareUndo(input),
    proposeExternalCall: async (input) => (await service()).proposeExternalCall(input),
    externalCallState: async (input) => (await service()).externalCallState(input),
    cancelExternalCall: async (input) => (await service()).cancelExternalCall(input),
    stop: async (input) => (await service()).stop(input),
    assertRunEvents: async (input) => (await service()).assertRunEvents(input),
    async idle() {
      const started = await loaded.started()?.catch(() => undefined);
      await started?.idle();
    },
    async close() {
      closed = true;
      const started = await loaded.started()?.catch(() => undefined);
      await started?.close();
    },
  };
}

/**
 * The agent service the composition root hands to the HTTP routes: its dependencies are fixed now, the workflow
 * module (LangGraph, AI SDK, checkpointer) is imported only on first use or once the engine listens. So is the
 * tool-call inspector, which only the agent uses (@skyflo/safety and its YAML parser).
 */
export function deferAgentService(
  deps: Omit<AgentServiceDeps, 'inspector'> & Partial<Pick<AgentServiceDeps, 'inspector'>>,
  inspector: () => Promise<AgentServiceDeps['inspector']> = async () => deps.inspector!,
): DeferredAgentService {
  return createDeferredAgentService(async () => {
    const [{ createAgentService }, loadedInspector] = await Promise.all([import('../../app/agent/create-agent-service.ts'), deps.inspector ?? inspector()]);
    return createAgentService({ ...deps, inspector: loadedInspector });
  });
}
