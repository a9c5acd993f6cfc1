/**
 * The gate node: the LangGraph adapter of the approval gate, which lives in tool-calls/ (run-calls.ts: propose,
 * decide, execute, verify, undo). It hands the turn's pending calls from the state to the tool calls' runner and
 * writes back what they came to; a call awaiting a decision ends the run (no interrupt(): the approval starts a new
 * run from the checkpoint). It also answers load_toolset, which only changes what the model is shown.
 */
import { jenkinsMissingText } from '../../../../domain/tool-calls/core/gate-tools.ts';
import { createToolCallRunner, type EngineTool } from '../../../../domain/tool-calls/run-calls.ts';
import { toolsets, type Toolset } from '../../../../platform/ports/tool-gateway.ts';
import type { GraphDeps, RunContext } from '../../run-context.ts';
import type { AgentStateUpdate, AgentStateValue } from '../../state.ts';
import { exposeTools, externalToolsetsOf, loadToolsetName } from '../../tool-exposure.ts';

export { cancelledText, deniedText, sealContext, stoppedUndecidedText, supersededText } from '../../../../domain/tool-calls/run-calls.ts';

/** load_toolset: exposes a toolset's tools (and, asked for, its write tools) to the model from its next turn. */
function loadToolsetTool(deps: GraphDeps, run: RunContext): EngineTool {
  return {
    name: loadToolsetName,
    async run(call, tools, loaded, fail) {
      const { toolset, include_write_tools: includeWrite } = call.args as { toolset?: unknown; include_write_tools?: unknown };
      const identity = { call_id: call.callId, tool: call.tool, title: 'Load toolset', args: call.args };
      // ours, or an external MCP server's (issue 39) as the catalogue lists it
      const known = [...toolsets, ...externalToolsetsOf(tools ?? [])];
      if (typeof toolset !== 'string' || !known.includes(toolset)) return fail(identity, `toolset must be one of ${known.join(', ')}`);
      if (typeof includeWrite !== 'boolean') return fail(identity, 'include_write_tools must be true or false');
      const jenkinsAvailable = (await deps.jenkinsIntegration?.()) !== undefined;
      if (toolset === 'jenkins' && !jenkinsAvailable) return fail(identity, jenkinsMissingText);
      loaded[toolset] = includeWrite || loaded[toolset] === true;
      const observabilityAvailable = (await deps.observabilitySources?.(run.cluster)) !== undefined;
      const names = exposeTools(tools ?? [], loaded, { jenkinsAvailable, observabilityAvailable, ...(run.scope ? { scope: run.scope } : {}) })
        .filter((tool) => tool.toolset === (toolset as Toolset))
        .map((tool) => tool.name);
      await run.emit('toolset.loaded', { toolset, include_write_tools: loaded[toolset] === true, tools: names });
      return { kind: 'done', text: `Loaded toolset ${toolset}${loaded[toolset] ? ' with write tools' : ''}. Available from your next turn: ${names.join(', ') || '(none)'}.`, isError: false };
    },
  };
}

export function createGateNode(deps: GraphDeps, run: RunContext) {
  const runTurn = createToolCallRunner(deps, run, loadToolsetTool(deps, run));
  return async function gateNode(state: AgentStateValue): Promise<AgentStateUpdate> {
    // No model turn yet in this run: the calls came with the checkpoint (a decision's resume) or the input (an undo's
    // proposal), and tools.pending was already sent for them.
    const suppressPendingEvent = state.iterations === 0;
    // Issue 77 item 2: calls an external MCP client made (and only those) end the run once decided and run.
    const endAfterGate = state.pendingTools.length > 0 && state.pendingTools.every((call) => call.external !== undefined);
    const { pending, ...outcome } = await runTurn({ pending: state.pendingTools, loadedToolsets: state.loadedToolsets, suppressPendingEvent });
    return { ...outcome, pendingTools: pending, ...(endAfterGate ? { endAfterGate: true } : {}) };
  };
}
