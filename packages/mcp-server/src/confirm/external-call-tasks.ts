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
 * random handle, never an authorization: another caller asking about it is told it does not exist (-32602), exactly
 * as for an id nobody issued, so holding one reveals nothing.
 *
 * The SDK (2.4.0) has no runtime for the extension (its task types are 2025-11-25 vocabulary), so this is the
 * extension's server side, kept small: tasks live in this process (one store per engine configuration), for a day
 * (the engine's call state is valid as long); a restart forgets them (the client is told the task is unknown, and the
 * call still waits in Skyflo's queue). The engine's record stays the truth; this store only remembers which call a
 * task is and whose it is.
 */
import { randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, inputRequired, inputResponse, MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, type ServerContext } from '@modelcontextprotocol/server';
import type { ExternalCallState } from '@skyflo/protocol';
import type { ToolDeps } from '../tools/deps.ts';
import type { AnyToolDefinition, ToolOutput } from '../tools/tool-definition.ts';
import { callerOf } from './confirm-in-band.ts';
import { engineRequest, outcomeOf, pageOf, type EngineApprovals } from './confirm-through-skyflo.ts';

export const tasksExtension = 'io.modelcontextprotocol/tasks';
/** the key of the one input a task asks for (unique over the task's life, as the extension requires) */
const pageKey = 'approve';
const dayMs = 24 * 3600_000;

type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

interface TaskRecord {
  taskId: string;
  owner: string;
  definition: AnyToolDefinition<ToolDeps>;
  callId: string;
  conversationId: string;
  page: string;
  createdAt: string;
  lastUpdatedAt: string;
  /** the client declared URL-mode elicitation and has not answered the page yet */
  pageOutstanding: boolean;
  status: TaskStatus;
  statusMessage: string;
  /** once terminal: the tool's answer (completed) */
  output?: ToolOutput;
}

/** How a tool's answer goes on the wire (create-mcp-server.ts's CallToolResult, the same as without a task). */
export type RenderResult = (definition: AnyToolDefinition<ToolDeps>, output: ToolOutput) => Record<string, unknown>;

/** Whether this 2026-07-28 request's client declared the tasks extension (never true on a 2025 session). */
export function declaresTasks(ctx: ServerContext): boolean {
  const capabilities = (ctx.mcpReq.envelope as Record<string, { extensions?: Record<string, unknown> } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return capabilities?.extensions?.[tasksExtension] !== undefined;
}

/** A CreateTaskResult (so the tool-output check lets it through: it has no structuredContent by design). */
export const isCreateTaskResult = (result: unknown): boolean => typeof result === 'object' && result !== null && (result as { resultType?: unknown }).resultType === 'task';

const stores = new WeakMap<EngineApprovals, ReturnType<typeof createStore>>();

/** The task store of this engine configuration (createMcpServer runs once per request on 2026-07-28; the store outlives it). */
export function externalCallTasks(engine: EngineApprovals) {
  let store = stores.get(engine);
  if (!store) {
    store = createStore(engine);
    stores.set(engine, store);
  }
  return store;
}

function createStore(engine: EngineApprovals) {
  const tasks = new Map<string, TaskRecord>();
  const pollIntervalMs = engine.taskPollMs ?? 2_000;

  function sweep(): void {
    const cutoff = Date.now() - dayMs;
    for (const [id, task] of tasks) if (Date.parse(task.createdAt) < cutoff) tasks.delete(id);
  }

  /** The caller's own task, or the same -32602 as an unknown id (another caller's task is not revealed). */
  function ownTask(taskId: string, ctx: ServerContext): TaskRecord {
    if (!declaresTasks(ctx)) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: { [tasksExtension]: {} } } });
    sweep();
    const task = tasks.get(taskId);
    if (!task || task.owner !== callerOf(ctx)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Failed to retrieve task: no task ${taskId}`);
    return task;
  }

  function set(task: TaskRecord, status: TaskStatus, statusMessage: string, output?: ToolOutput): void {
    if (task.status === status && task.statusMessage === statusMessage) return;
    task.status = status;
    task.statusMessage = statusMessage;
    if (output) task.output = output;
    task.lastUpdatedAt = new Date().toISOString();
  }

  const waitingMessage = (task: TaskRecord) => `Waiting for a person to approve or deny ${task.definition.name} in Skyflo: ${task.page}`;

  /** Folds the engine's record of the call into the task. */
  function follow(task: TaskRecord, state: ExternalCallState): void {
    if (state.status === 'cancelled') return set(task, 'cancelled', state.result ?? 'The call was cancelled in Skyflo before anyone decided it; nothing was run.');
    if (state.status === 'denied') {
      const who = state.decided_by_email ?? 'A person';
      return set(task, 'completed', `Denied by ${who}${state.reason ? `: ${state.reason}` : ''}.`, outcomeOf(task.definition, state));
    }
    const finished = outcomeOf(task.definition, state);
    if (finished) return set(task, 'completed', finished.isError ? `${task.definition.name} was not run, or failed (${state.status}).` : `${task.definition.name} ran as approved${state.decided_by_email ? ` by ${state.decided_by_email}` : ''}.`, finished);
    if (state.status === 'approved' || state.status === 'executing') return set(task, 'working', `Approved${state.decided_by_email ? ` by ${state.decided_by_email}` : ''}; Skyflo is running ${task.definition.name}.`);
    set(task, task.pageOutstanding ? 'input_required' : 'working', waitingMessage(task));
  }

  function detailed(task: TaskRecord, render: RenderResult): Record<string, unknown> {
    const base = { taskId: task.taskId, status: task.status, statusMessage: task.statusMessage, createdAt: task.createdAt, lastUpdatedAt: task.lastUpdatedAt, ttlMs: dayMs, pollIntervalMs };
    if (task.status === 'input_required') {
      const message = `A person must approve ${task.definition.name} in Skyflo before it runs. Open the approval page (it shows the exact arguments and the dry-run diff; approve or deny there).`;
      return { ...base, inputRequests: inputRequired({ inputRequests: { [pageKey]: inputRequired.elicitUrl({ message, url: task.page }) } }).inputRequests };
    }
    if (task.status === 'completed' && task.output) return { ...base, result: render(task.definition, task.output) };
    return base;
  }

  async function withdraw(task: TaskRecord): Promise<void> {
    if (task.status === 'completed' || task.status === 'cancelled' || task.status === 'failed') return;
    const state = await engineRequest(engine, 'POST', `/agent/external-calls/${encodeURIComponent(task.callId)}/cancel`, { conversation_id: task.conversationId });
    if ('failed' in state) throw new ProtocolError(ProtocolErrorCode.InternalError, `The call could not be cancelled in Skyflo: ${state.failed}`);
    follow(task, state);
  }

  return {
    /** A task for a call the engine just recorded as awaiting (confirm-through-skyflo.ts's propose). */
    create(options: { definition: AnyToolDefinition<ToolDeps>; state: ExternalCallState; canOpenUrl: boolean }, ctx: ServerContext): Record<string, unknown> {
      sweep();
      const now = new Date().toISOString();
      const task: TaskRecord = {
        taskId: randomUUID(),
        owner: callerOf(ctx),
        definition: options.definition,
        callId: options.state.call_id,
        conversationId: options.state.conversation_id,
        page: pageOf(engine, options.state),
        createdAt: now,
        lastUpdatedAt: now,
        pageOutstanding: options.canOpenUrl,
        status: 'working',
        statusMessage: '',
      };
      follow(task, options.state);
      // recorded before it is answered: a tasks/get for this id resolves from now on (the extension's rule)
      tasks.set(task.taskId, task);
      const { taskId, status, statusMessage, createdAt, lastUpdatedAt } = task;
      return { resultType: 'task', taskId, status, statusMessage, createdAt, lastUpdatedAt, ttlMs: dayMs, pollIntervalMs };
    },

    async get(taskId: string, ctx: ServerContext, render: RenderResult): Promise<Record<string, unknown>> {
      const task = ownTask(taskId, ctx);
      if (task.status === 'working' || task.status === 'input_required') {
        const state = await engineRequest(engine, 'GET', `/agent/external-calls/${encodeURIComponent(task.callId)}?conversation_id=${encodeURIComponent(task.conversationId)}`);
        // the engine unreachable for a moment is no outcome: the task still waits, and says why it cannot tell
        if ('failed' in state) set(task, task.status, `Where the call stands in Skyflo could not be read just now (${state.failed}); still ${waitingMessage(task)}`);
        else if (state.call_id !== task.callId) throw new ProtocolError(ProtocolErrorCode.InternalError, 'The Skyflo engine answered for another call.');
        else follow(task, state);
      }
      return detailed(task, render);
    },

    /** `inputResponses` is lifted out of the params by the SDK (its multi-round-trip field), into ctx.mcpReq. */
    async update(taskId: string, ctx: ServerContext): Promise<Record<string, never>> {
      const task = ownTask(taskId, ctx);
      const answer = inputResponse(ctx.mcpReq.inputResponses, pageKey);
      // only the outstanding page counts; any other key is ignored (the extension's rule)
      if (!task.pageOutstanding || answer.kind !== 'elicit') return {};
      task.pageOutstanding = false;
      if (answer.action === 'accept') {
        if (task.status === 'input_required') set(task, 'working', waitingMessage(task));
        return {};
      }
      // declined or dismissed: the client's person does not want it to wait for an approval
      await withdraw(task);
      return {};
    },

    async cancel(taskId: string, ctx: ServerContext): Promise<Record<string, never>> {
      await withdraw(ownTask(taskId, ctx));
      return {};
    },
  };
}
