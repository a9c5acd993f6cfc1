/** The entry node: resets per-run fields; a run that starts with pending calls is a resume (approval decided). */
import type { RunContext } from '../run-context.ts';
import type { AgentStateUpdate, AgentStateValue } from '../state.ts';

export function createEntryNode(run: RunContext) {
  return async function entry(state: AgentStateValue): Promise<AgentStateUpdate> {
    return {
      runId: run.runId,
      iterations: 0,
      error: null,
      stopped: run.signal.aborted,
      awaitingApproval: false,
      // tools.pending was already sent for this batch by the run that stopped at the approval
      suppressPendingEvent: state.pendingTools.length > 0,
    };
  };
}
