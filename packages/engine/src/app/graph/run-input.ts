/**
 * What a run writes into the conversation's state as it starts: its new messages (the user's, or an undo's proposal)
 * and the per-run fields reset. These come in with the graph's input rather than from an entry node: a node is a
 * whole superstep of LangGraph's loop (issue 38).
 */
import type { ModelMessage } from 'ai';
import type { AgentStateUpdate, PendingCall } from './state.ts';

export interface RunStart {
  runId: string;
  /** the run's stop signal was already raised: it ends at once (cancelling calls left pending, see routeAtStart) */
  stopped: boolean;
  messages?: ModelMessage[];
  /** calls the run starts with (an undo's proposal); a decision's run resumes the ones in the checkpoint */
  pendingTools?: PendingCall[];
}

export function runInput(start: RunStart): AgentStateUpdate {
  return {
    ...(start.messages ? { messages: start.messages } : {}),
    ...(start.pendingTools ? { pendingTools: start.pendingTools } : {}),
    runId: start.runId,
    iterations: 0,
    error: null,
    stopped: start.stopped,
    awaitingApproval: false,
    endAfterGate: false,
  };
}
