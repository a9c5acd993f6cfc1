/**
 * The workflow: START → entry → model → gate → final (spec §3 routing). thread_id = conversation id; the
 * checkpoint after each step is what lets an approval resume the run in a later request, in any engine process,
 * after a restart. No interrupt(): a run that needs approval ends, and the approval starts a new run.
 */
import { END, START, StateGraph } from '@langchain/langgraph';
import { createEntryNode } from './nodes/entry.ts';
import { finalNode } from './nodes/final.ts';
import { createGateNode } from './nodes/gate.ts';
import { createModelNode } from './nodes/model.ts';
import type { GraphDeps, RunContext } from './run-context.ts';
import { AgentState, type AgentStateValue } from './state.ts';

export function routeAfterEntry(state: AgentStateValue): 'gate' | 'model' | 'final' {
  if (state.stopped) return 'final';
  return state.pendingTools.length > 0 ? 'gate' : 'model';
}

export function routeAfterModel(state: AgentStateValue): 'gate' | 'final' {
  if (state.stopped || state.error) return 'final';
  return state.pendingTools.length > 0 ? 'gate' : 'final';
}

export function routeAfterGate(state: AgentStateValue): 'model' | 'final' {
  return state.awaitingApproval || state.error || state.stopped ? 'final' : 'model';
}

export function buildAgentGraph(deps: GraphDeps, run: RunContext) {
  return new StateGraph(AgentState)
    .addNode('entry', createEntryNode(run))
    .addNode('model', createModelNode(deps, run))
    .addNode('gate', createGateNode(deps, run))
    .addNode('final', finalNode)
    .addEdge(START, 'entry')
    .addConditionalEdges('entry', routeAfterEntry, ['gate', 'model', 'final'])
    .addConditionalEdges('model', routeAfterModel, ['gate', 'final'])
    .addConditionalEdges('gate', routeAfterGate, ['model', 'final'])
    .addEdge('final', END)
    .compile({ checkpointer: deps.checkpointer });
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;
