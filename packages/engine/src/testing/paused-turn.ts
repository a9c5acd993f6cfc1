/**
 * For tests that record calls awaiting approval straight into storage (the rules of a decision, not the run that
 * proposed them): the turn a run pauses at, saved in the conversation's checkpoint as the gate leaves it — the
 * request, the model's tool calls, and those calls pending. Without it no run can resume the call, and a decision on
 * it is refused (409 RUN_NOT_RESUMABLE, issue 75), as it is for a run that died before saving its turn.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { END, START, StateGraph } from '@langchain/langgraph/web';
import type { ModelMessage } from 'ai';
import { AgentState, type PendingCall } from '../app/graph/state.ts';

export async function savePausedTurn(checkpointer: BaseCheckpointSaver, conversationId: string, calls: Array<Pick<PendingCall, 'callId' | 'tool' | 'args'>>, request = 'Please make the change.'): Promise<void> {
  const messages: ModelMessage[] = [
    { role: 'user', content: request },
    { role: 'assistant', content: calls.map((call) => ({ type: 'tool-call' as const, toolCallId: call.callId, toolName: call.tool, input: call.args })) },
  ];
  // A graph of the workflow's state and no work: running it saves exactly this state, as the paused run's end does.
  const pausing = new StateGraph(AgentState).addNode('pause', () => ({})).addEdge(START, 'pause').addEdge('pause', END).compile({ checkpointer });
  await pausing.invoke({ messages, pendingTools: calls.map((call) => ({ callId: call.callId, tool: call.tool, args: call.args })), awaitingApproval: true }, { configurable: { thread_id: conversationId } });
}
