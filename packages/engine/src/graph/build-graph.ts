/**
 * The workflow: START → model → gate → final (spec §3 routing), or START → gate for a run that resumes a paused turn.
 * thread_id = conversation id; the checkpoint after each step is what lets an approval resume the run in a later
 * request, in any engine process, after a restart. No interrupt(): a run that needs approval ends, and the approval
 * starts a new run. Compiled once per engine; each invoke passes its RunContext as LangGraph's `context` (kept out of
 * `configurable`, whose primitive values checkpointers copy into checkpoint metadata).
 *
 * The per-run fields are reset by the run's input (runStart), not by a node of their own: an `entry` node cost a whole
 * LangGraph step (its task, its channel writes, its branch; ~1 ms of CPU) between an approval and its call running (P4).
 */
import { Command, END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { finalNode } from './nodes/final.ts';
import { createGateNode } from './nodes/gate/index.ts';
import { createModelNode } from './nodes/model.ts';
import type { GraphDeps, RunContext } from './run-context.ts';
import type { AgentStateUpdate } from './state.ts';
import { AgentState, type AgentStateValue } from './state.ts';

/**
 * What every run starts from, written with its input: the per-run fields reset. A run whose turn was paused starts with
 * its pending calls, whose tools.pending the run that paused has already sent: suppressPendingEvent keeps the gate from
 * sending it again (a run without pending calls goes to the model, which clears it, or ends).
 */
export function runStart(run: Pick<RunContext, 'runId' | 'signal'>): AgentStateUpdate {
  return { runId: run.runId, iterations: 0, error: null, stopped: run.signal.aborted, awaitingApproval: false, suppressPendingEvent: true };
}

/** Where a run goes first (on its state with the input applied). */
export function routeAfterEntry(state: AgentStateValue): 'gate' | 'model' | 'final' {
  // A stopped run with calls left still passes through the gate, which cancels them: left pending, an approved
  // call would run as a side effect of the user's next, unrelated message.
  if (state.stopped) return state.pendingTools.length > 0 ? 'gate' : 'final';
  return state.pendingTools.length > 0 ? 'gate' : 'model';
}

export function routeAfterModel(state: AgentStateValue): 'gate' | 'final' {
  if (state.stopped || state.error) return 'final';
  return state.pendingTools.length > 0 ? 'gate' : 'final';
}

export function routeAfterGate(state: AgentStateValue): 'model' | 'final' {
  return state.awaitingApproval || state.error || state.stopped ? 'final' : 'model';
}

function runOf(config: LangGraphRunnableConfig): RunContext {
  const run = (config as { context?: RunContext }).context;
  if (!run) throw new Error('The agent graph was invoked without its run context (pass { context: run }).');
  return run;
}

/** A node whose closure needs the run: built per invocation from the run in the config (closures are cheap). */
const perRun =
  (factory: (run: RunContext) => (state: AgentStateValue) => Promise<AgentStateUpdate>) =>
  (state: AgentStateValue, config: LangGraphRunnableConfig) =>
    factory(runOf(config))(state);

export function buildAgentGraph(deps: GraphDeps) {
  const graph = new StateGraph(AgentState)
    .addNode('model', perRun((run) => createModelNode(deps, run)))
    .addNode('gate', perRun((run) => createGateNode(deps, run)))
    .addNode('final', finalNode)
    .addConditionalEdges(START, routeAfterEntry, ['gate', 'model', 'final'])
    .addConditionalEdges('model', routeAfterModel, ['gate', 'final'])
    .addConditionalEdges('gate', routeAfterGate, ['model', 'final'])
    .addEdge('final', END)
    .compile({ checkpointer: deps.checkpointer });
  // Every run's input carries the per-run resets (runStart), whoever invokes the graph.
  const invoke = graph.invoke.bind(graph);
  graph.invoke = ((input: Parameters<typeof invoke>[0], options?: Parameters<typeof invoke>[1]) => {
    if (input === null || typeof input !== 'object' || input instanceof Command) return invoke(input, options);
    return invoke({ ...(input as Record<string, unknown>), ...runStart(runOf((options ?? {}) as LangGraphRunnableConfig)) }, options);
  }) as typeof graph.invoke;
  return graph;
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;
