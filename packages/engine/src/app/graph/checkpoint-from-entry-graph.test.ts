/**
 * An approval left pending across the upgrade that removed the entry and final nodes (issue 38): the conversation's
 * checkpoint was written by START → entry → model → gate → final, with the entry's `suppressPendingEvent` channel and
 * branch channels for both nodes. The current graph's state and routes (build-graph.ts) must resume it: the decision's
 * run reaches the gate with the pending call, without a model turn first, and the conversation goes on from there.
 */
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph/web';
import { describe, expect, it } from 'vitest';
import { routeAfterGate, routeAfterModel, routeAtStart } from './build-graph.ts';
import { runInput } from './run-input.ts';
import { AgentState, type AgentStateUpdate, type AgentStateValue } from './state.ts';

const call = { callId: 'c1', tool: 'k8s_scale', args: { name: 'web', replicas: 3 } };
const config = { configurable: { thread_id: 'conversation' }, durability: 'exit' as const };

function previousGraph(checkpointer: MemorySaver) {
  const PreviousState = Annotation.Root({ ...AgentState.spec, suppressPendingEvent: Annotation<boolean>({ reducer: (_current, next) => next, default: () => false }) });
  type State = typeof PreviousState.State;
  return new StateGraph(PreviousState)
    .addNode('entry', async (state: State) => ({ runId: 'r1', iterations: 0, error: null, stopped: false, awaitingApproval: false, suppressPendingEvent: state.pendingTools.length > 0 }))
    .addNode('model', async (state: State) => ({ messages: [{ role: 'assistant' as const, content: 'scaling web' }], pendingTools: [call], iterations: state.iterations + 1, suppressPendingEvent: false }))
    .addNode('gate', async () => ({ awaitingApproval: true }))
    .addNode('final', async () => ({}))
    .addEdge(START, 'entry')
    .addConditionalEdges('entry', (state: State) => (state.pendingTools.length > 0 ? 'gate' : 'model'), ['gate', 'model', 'final'])
    .addConditionalEdges('model', (state: State) => (state.pendingTools.length > 0 ? 'gate' : 'final'), ['gate', 'final'])
    .addConditionalEdges('gate', (state: State) => (state.awaitingApproval ? 'final' : 'model'), ['model', 'final'])
    .addEdge('final', END)
    .compile({ checkpointer });
}

function currentGraph(checkpointer: MemorySaver, visited: string[]) {
  return new StateGraph(AgentState)
    .addNode('model', async (state: AgentStateValue): Promise<AgentStateUpdate> => {
      visited.push('model');
      return { messages: [{ role: 'assistant', content: 'web has 3 replicas' }], pendingTools: [], iterations: state.iterations + 1 };
    })
    .addNode('gate', async (state: AgentStateValue): Promise<AgentStateUpdate> => {
      visited.push(`gate: ${state.pendingTools.map((pending) => pending.callId).join(',')} after ${state.iterations} model turns`);
      return { pendingTools: [], awaitingApproval: false, messages: [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'k8s_scale', output: { type: 'text', value: 'scaled' } }] }] };
    })
    .addConditionalEdges(START, routeAtStart, ['gate', 'model', END])
    .addConditionalEdges('model', routeAfterModel, ['gate', END])
    .addConditionalEdges('gate', routeAfterGate, ['model', END])
    .compile({ checkpointer });
}

describe('a checkpoint written by the graph with entry and final nodes', () => {
  it('resumes at the gate with its pending call, then the model answers', async () => {
    const checkpointer = new MemorySaver();
    const paused = await previousGraph(checkpointer).invoke({ messages: [{ role: 'user', content: 'scale web to 3' }] }, config);
    expect(paused.awaitingApproval).toBe(true);
    expect(paused.pendingTools).toEqual([call]);

    const visited: string[] = [];
    const resumed = (await currentGraph(checkpointer, visited).invoke(runInput({ runId: 'r2', stopped: false }), config)) as AgentStateValue;
    expect(visited).toEqual(['gate: c1 after 0 model turns', 'model']);
    expect(resumed.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(resumed.runId).toBe('r2');
    expect(resumed.pendingTools).toEqual([]);
  });
});
