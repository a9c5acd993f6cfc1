/**
 * The workflow: START → model ⇄ gate → END (spec §3 routing). The per-run fields come in with the run's input
 * (graph/run-input.ts) and the routes go straight to END: each node is a superstep of LangGraph's Pregel loop, with
 * its task preparation, channel writes and a run tree per runnable, and the entry and final nodes that did only that
 * were ~40% of LangGraph's CPU in a plain chat's run (issue 38). thread_id = conversation id; the
 * checkpoint after each step is what lets an approval resume the run in a later request, in any engine process,
 * after a restart. No interrupt(): a run that needs approval ends, and the approval starts a new run.
 * Compiled once per engine; each invoke passes its RunContext as LangGraph's `context` (kept out of
 * `configurable`, whose primitive values checkpointers copy into checkpoint metadata).
 * LangGraph comes from its web entry everywhere in the engine: the Node entry installs an AsyncLocalStorage, and Node 20
 * then runs promise hooks for every promise of the process, which only interrupt() and getConfig() need (neither is
 * used: nodes get their config as an argument). scripts/test/package-boundaries.test.ts keeps it so.
 */
import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph/web';
import { createGateNode } from './nodes/gate/index.ts';
import { createModelNode } from './nodes/model.ts';
import { createModelToolCache } from './model-tool-cache.ts';
import type { GraphDeps, RunContext } from './run-context.ts';
import type { AgentStateUpdate } from './state.ts';
import { AgentState, type AgentStateValue } from './state.ts';
import { skipUnreadRunTrees } from './unread-run-trees.ts';

type End = typeof END;

/** Where a run starts: a run that starts with pending calls is a resume (an approval decided) or an undo proposal. */
export function routeAtStart(state: AgentStateValue): 'gate' | 'model' | End {
  // A stopped run with calls left still passes through the gate, which cancels them: left pending, an approved
  // call would run as a side effect of the user's next, unrelated message.
  if (state.stopped) return state.pendingTools.length > 0 ? 'gate' : END;
  return state.pendingTools.length > 0 ? 'gate' : 'model';
}

export function routeAfterModel(state: AgentStateValue): 'gate' | End {
  if (state.stopped || state.error) return END;
  return state.pendingTools.length > 0 ? 'gate' : END;
}

export function routeAfterGate(state: AgentStateValue): 'model' | End {
  // an external MCP client's call (issue 77 item 2) has its result: nobody's model asked for it, none is asked about it
  return state.awaitingApproval || state.error || state.stopped || state.endAfterGate ? END : 'model';
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
  skipUnreadRunTrees();
  // one per graph (per engine): runs with the same catalogue, toolsets and scope share the converted tool set
  const toolCache = createModelToolCache();
  return new StateGraph(AgentState)
    .addNode('model', perRun((run) => createModelNode(deps, run, toolCache)))
    .addNode('gate', perRun((run) => createGateNode(deps, run)))
    .addConditionalEdges(START, routeAtStart, ['gate', 'model', END])
    .addConditionalEdges('model', routeAfterModel, ['gate', END])
    .addConditionalEdges('gate', routeAfterGate, ['model', END])
    .compile({ checkpointer: deps.checkpointer });
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;
