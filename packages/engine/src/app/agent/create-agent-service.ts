/**
 * The agent's use cases behind the HTTP routes: start a chat run, decide an approval and resume, stop a run,
 * list tools. Checks ownership and state, then starts the run in the background and returns its id at once;
 * the route streams the run's events from the bus. The run does not depend on the stream staying open.
 *
 * This composes them: what they share is built once (agent-context.ts) and handed to each use case beside it — a
 * chat's start (prepare-chat.ts), a decision (prepare-decision.ts), stopping and re-attaching to a run
 * (run-requests.ts), the Undo and external calls (undo-and-external-calls.ts) — with the reconciler of runs that died
 * (orphan-reconciler.ts). The service's shape is in agent-service-types.ts.
 */
import { createAgentContext } from './agent-context.ts';
import type { AgentService, AgentServiceDeps } from './agent-service-types.ts';
import { startOrphanReconciler } from './orphan-reconciler.ts';
import { createPrepareChat } from './prepare-chat.ts';
import { createPrepareDecision } from './prepare-decision.ts';
import { createRunRequests } from './run-requests.ts';
import { createUndoAndExternalCalls } from './undo-and-external-calls.ts';

export type { AgentService, AgentServiceDeps, StartedRun } from './agent-service-types.ts';

export async function createAgentService(deps: AgentServiceDeps): Promise<AgentService> {
  const context = await createAgentContext(deps);
  const reconciler = startOrphanReconciler(context);
  const { idle } = context;
  const { stop, assertRunEvents } = createRunRequests(context);
  const { prepareUndo, proposeExternalCall, externalCallState, cancelExternalCall } = createUndoAndExternalCalls(context);

  return {
    prepareChat: createPrepareChat(context),
    prepareDecision: createPrepareDecision(context),
    stop,
    assertRunEvents,
    prepareUndo,
    proposeExternalCall,
    externalCallState,
    cancelExternalCall,
    idle,
    async close() {
      await reconciler.stop();
      await idle();
    },
  };
}
