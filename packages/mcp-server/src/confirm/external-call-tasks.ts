/**
 * --confirm=skyflo for a client that declared the tasks extension (`io.modelcontextprotocol/tasks`, MCP 2026-07-28;
 * issue 77 item 2, "long waits use a task handle"). A person may take hours to approve, so such a client is not kept
 * retrying the call: its mutating call is proposed to the engine (POST /agent/external-calls, as the non-task path
 * does) and answered at once with a task (`resultType: "task"`). Then:
 *
 * - `tasks/get` looks at the engine's call once (no waiting) and says where it stands: `input_required` with a
 *   URL-mode input (the approval page) until the client answered it, then `working` with the page in
 *   `statusMessage` (a client that cannot open URLs gets that from the start); `completed` with the engine's result
 *   once executed. A denial is `completed` too, with an `isError` result naming who denied and why (the extension
 *   reserves `failed` for JSON-RPC errors and tells servers to report a tool error as a completed result; the
 *   `statusMessage` says who denied as well). A call the engine closed (cancelled) is `cancelled`.
 * - `tasks/update` answers the page: accept → `working`; decline or cancel → as `tasks/cancel` (the client's
 *   person does not want it to wait any longer).
 * - `tasks/cancel` before a decision withdraws the call in the engine (POST /agent/external-calls/:call_id/cancel,
 *   with this server's engine token; the engine lets only the proposer do it): it leaves the queue and never runs.
 *   A call already decided is not stopped; the task then ends as the call does.
 *
 * Who may see a task: the caller that created it (callerOf: the OAuth subject, or "client-token"). The task id is a
 * sealed handle (external-call-handles.ts), never an authorization: another caller's, a tampered one, one sealed with
 * another key or expired is told it does not exist (-32602), exactly as for an id nobody issued, so holding one
 * reveals nothing.
 *
 * The SDK (2.4.0) has no runtime for the extension (its task types are 2025-11-25 vocabulary), so this is the
 * extension's server side, kept small, and kept nowhere: the id names the engine's call, whose record is the truth,
 * so any replica (or this process after a restart) answers for any task. The one fact not in the engine's record is
 * whether the client still owes an answer to the approval page; the process that created the task remembers it.
 * Any other process does not know it and never asks again (a key is asked once in a task's life, the extension's
 * rule): it says `working` with the page in `statusMessage`, as to a client that cannot open URLs.
 */
import { CLIENT_CAPABILITIES_META_KEY, inputRequired, inputResponse, MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, type ServerContext } from '@modelcontextprotocol/server';
import type { ExternalCallState } from '@skyflo/protocol';
import type { ToolDeps } from '../deps/deps.ts';
import type { AnyToolDefinition, ToolOutput } from '../contract/tool-definition.ts';
import { toolCallHash } from '@skyflo/protocol/approval-hashes';
import { externalCallHandles, handleTtlSeconds, type ExternalCallTaskHandle } from './external-call-handles.ts';
import { engineRequest, outcomeOf, pageOf, type EngineApprovals } from './confirm-through-skyflo.ts';

export const tasksExtension = 'io.modelcontextprotocol/tasks';
/** the key of the one input a task asks for (unique over the task's life, as the extension requires) */
const pageKey = 'approve';

type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** Where a task stands, as folded from the engine's record of its call. */
interface TaskView {
  status: TaskStatus;
  statusMessage: string;
  /** once completed: the tool's answer */
  output?: ToolOutput;
}

/** How a tool's answer goes on the wire (create-mcp-server.ts's CallToolResult, the same as without a task). */
export type RenderResult = (definition: AnyToolDefinition<ToolDeps>, output: ToolOutput) => Record<string, unknown>;

/** The tool a task's handle names, among this server's (undefined: the id is treated as unknown). */
export type ToolNamed = (name: string) => AnyToolDefinition<ToolDeps> | undefined;

/** Whether this 2026-07-28 request's client declared the tasks extension (never true on a 2025 session). */
export function declaresTasks(ctx: ServerContext): boolean {
  const capabilities = (ctx.mcpReq.envelope as Record<string, { extensions?: Record<string, unknown> } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return capabilities?.extensions?.[tasksExtension] !== undefined;
}

/** A CreateTaskResult (so the tool-output check lets it through: it has no structuredContent by design). */
export const isCreateTaskResult = (result: unknown): boolean => typeof result === 'object' && result !== null && (result as { resultType?: unknown }).resultType === 'task';

const stores = new WeakMap<EngineApprovals, ReturnType<typeof createStore>>();

/** The tasks of this engine configuration (createMcpServer runs once per request on 2026-07-28; the store outlives it). */
export function externalCallTasks(engine: EngineApprovals) {
  let store = stores.get(engine);
  if (!store) {
    store = createStore(engine);
    stores.set(engine, store);
  }
  return store;
}

const waitingMessage = (tool: string, page: string) => `Waiting for a person to approve or deny ${tool} in Skyflo: ${page}`;

/** Folds the engine's record of the call into the task's status. */
function viewOf(definition: AnyToolDefinition<ToolDeps>, state: ExternalCallState, page: string, pageOutstanding: boolean): TaskView {
  if (state.status === 'cancelled') return { status: 'cancelled', statusMessage: state.result ?? 'The call was cancelled in Skyflo before anyone decided it; nothing was run.' };
  const finished = outcomeOf(definition, state);
  if (state.status === 'denied') return { status: 'completed', statusMessage: `Denied by ${state.decided_by_email ?? 'A person'}${state.reason ? `: ${state.reason}` : ''}.`, ...(finished ? { output: finished } : {}) };
  if (finished) return { status: 'completed', statusMessage: finished.isError ? `${definition.name} was not run, or failed (${state.status}).` : `${definition.name} ran as approved${state.decided_by_email ? ` by ${state.decided_by_email}` : ''}.`, output: finished };
  if (state.status === 'approved' || state.status === 'executing') return { status: 'working', statusMessage: `Approved${state.decided_by_email ? ` by ${state.decided_by_email}` : ''}; Skyflo is running ${definition.name}.` };
  return { status: pageOutstanding ? 'input_required' : 'working', statusMessage: waitingMessage(definition.name, page) };
}

function createStore(engine: EngineApprovals) {
  const handles = externalCallHandles(engine);
  const pollIntervalMs = engine.taskPollMs ?? 2_000;
  /** task id → when its handle expires: the approval pages this process handed out that the client has not answered */
  const pagesOutstanding = new Map<string, number>();

  function isPageOutstanding(taskId: string): boolean {
    const now = Date.now();
    for (const [id, expires] of pagesOutstanding) if (expires < now) pagesOutstanding.delete(id);
    return pagesOutstanding.has(taskId);
  }

  /** The caller's own task, or the same -32602 as an unknown id (another caller's, a forged or expired one). */
  async function ownTask(taskId: string, ctx: ServerContext, toolNamed: ToolNamed): Promise<{ handle: ExternalCallTaskHandle; definition: AnyToolDefinition<ToolDeps> }> {
    if (!declaresTasks(ctx)) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: { [tasksExtension]: {} } } });
    const handle = await handles.openTaskId(taskId, ctx);
    const definition = handle ? toolNamed(handle.tool) : undefined;
    if (!handle || !definition) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Failed to retrieve task: no task ${taskId}`);
    return { handle, definition };
  }

  const callPath = (handle: ExternalCallTaskHandle) => `/agent/external-calls/${encodeURIComponent(handle.callId)}`;

  /** The wire form: `lastUpdatedAt` is the creation while it waits (nothing changed), else when its change was seen. */
  function wire(taskId: string, handle: ExternalCallTaskHandle, view: TaskView) {
    const lastUpdatedAt = view.status === 'working' || view.status === 'input_required' ? handle.createdAt : new Date().toISOString();
    return { taskId, status: view.status, statusMessage: view.statusMessage, createdAt: handle.createdAt, lastUpdatedAt, ttlMs: handleTtlSeconds * 1000, pollIntervalMs };
  }

  async function withdraw(taskId: string, handle: ExternalCallTaskHandle): Promise<void> {
    pagesOutstanding.delete(taskId);
    // the engine closes it only while it awaits a decision: a decided call is not stopped, the task ends as it does
    const state = await engineRequest(engine, 'POST', `${callPath(handle)}/cancel`, { conversation_id: handle.conversationId });
    if ('failed' in state) throw new ProtocolError(ProtocolErrorCode.InternalError, `The call could not be cancelled in Skyflo: ${state.failed}`);
  }

  return {
    /** A task for a call the engine just recorded as awaiting (confirm-through-skyflo.ts's propose). */
    async create(options: { definition: AnyToolDefinition<ToolDeps>; args: Record<string, unknown>; state: ExternalCallState; canOpenUrl: boolean }, ctx: ServerContext): Promise<Record<string, unknown>> {
      const { definition, state } = options;
      const handle: ExternalCallTaskHandle = { kind: 'task', tool: definition.name, argsHash: toolCallHash(definition.name, options.args), conversationId: state.conversation_id, callId: state.call_id, createdAt: new Date().toISOString() };
      // sealed before it is answered: a tasks/get for this id resolves from now on, on any replica (the extension's rule)
      const taskId = await handles.mintTaskId(handle, ctx);
      if (options.canOpenUrl) pagesOutstanding.set(taskId, Date.parse(handle.createdAt) + handleTtlSeconds * 1000);
      const view = viewOf(definition, state, pageOf(engine, state), isPageOutstanding(taskId));
      return { resultType: 'task', ...wire(taskId, handle, view) };
    },

    /** Looks at the engine's call once (no waiting) and says where the task stands. */
    async get(taskId: string, ctx: ServerContext, render: RenderResult, toolNamed: ToolNamed): Promise<Record<string, unknown>> {
      const { handle, definition } = await ownTask(taskId, ctx, toolNamed);
      const state = await engineRequest(engine, 'GET', `${callPath(handle)}?conversation_id=${encodeURIComponent(handle.conversationId)}`);
      // the engine unreachable for a moment is no outcome: the task still waits, and says why it cannot tell
      if ('failed' in state) return wire(taskId, handle, { status: 'working', statusMessage: `Where ${definition.name} stands in Skyflo could not be read just now (${state.failed}); still waiting for a person to decide it.` });
      if (state.call_id !== handle.callId || state.tool !== handle.tool) throw new ProtocolError(ProtocolErrorCode.InternalError, 'The Skyflo engine answered for another call.');
      const page = pageOf(engine, state);
      const view = viewOf(definition, state, page, isPageOutstanding(taskId));
      // decided or closed: the page is not asked for any more
      if (view.status !== 'input_required') pagesOutstanding.delete(taskId);
      const base = wire(taskId, handle, view);
      if (view.status === 'input_required') {
        const message = `A person must approve ${definition.name} in Skyflo before it runs. Open the approval page (it shows the exact arguments and the dry-run diff; approve or deny there).`;
        return { ...base, inputRequests: inputRequired({ inputRequests: { [pageKey]: inputRequired.elicitUrl({ message, url: page }) } }).inputRequests };
      }
      return view.status === 'completed' && view.output ? { ...base, result: render(definition, view.output) } : base;
    },

    /** `inputResponses` is lifted out of the params by the SDK (its multi-round-trip field), into ctx.mcpReq. */
    async update(taskId: string, ctx: ServerContext, toolNamed: ToolNamed): Promise<Record<string, never>> {
      const { handle } = await ownTask(taskId, ctx, toolNamed);
      const answer = inputResponse(ctx.mcpReq.inputResponses, pageKey);
      // only the page's key counts; any other is ignored (the extension's rule)
      if (answer.kind !== 'elicit') return {};
      if (answer.action === 'accept') {
        pagesOutstanding.delete(taskId);
        return {};
      }
      // declined or dismissed (on whichever replica handed the page): the client's person does not want it to wait
      await withdraw(taskId, handle);
      return {};
    },

    async cancel(taskId: string, ctx: ServerContext, toolNamed: ToolNamed): Promise<Record<string, never>> {
      const { handle } = await ownTask(taskId, ctx, toolNamed);
      await withdraw(taskId, handle);
      return {};
    },
  };
}
