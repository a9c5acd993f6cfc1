/**
 * --confirm=skyflo (issue 77 item 2, URL mode): a direct client's change is not confirmed by this server at all; it is
 * handed to the Skyflo engine's approval gate, and a person decides it where every other change is decided (the
 * Command Center's approval page, its queue, Slack, Teams; with the passkey the cluster asks for).
 *
 * 1. The call: POST {engine}/api/v1/agent/external-calls with the tool and arguments, as the owner of
 *    SKYFLO_ENGINE_TOKEN (an API token with the `chat` scope; it cannot decide calls). The engine previews, seals and
 *    records it itself, in a conversation of its own. This server answers `input_required` with a URL-mode input:
 *    that call's approval page. The `requestState` it mints is sealed, bound to the caller and the method, and names
 *    the engine's call and the tool and arguments it was proposed with (external-call-handles.ts: a key every replica
 *    shares and a restart keeps, so any of them serves the retry).
 * 2. The retry: the same tool and arguments, or nothing runs (a state is never spent on another call). This server
 *    asks the engine where the call stands, waiting up to `waitMs` for a decision: still awaiting → `input_required`
 *    again (with only the state once the person has the page, so the client polls without asking again); denied → a
 *    tool error naming who denied it; executed → the engine's recorded result. Nothing ever runs here: the engine ran
 *    the call, as approved, through its own connection.
 *
 * A 2025-11-25 session has no input_required: its client is handed the page mid-call (URL-mode elicitation), and the
 * call itself waits for the decision (confirmOnSession).
 *
 * What is trusted: nothing the client says but the call it asks for. Holding the state is not a decision (the
 * engine's record is); the engine tells this server the outcome; this server cannot approve, nor change what the person
 * is shown (the engine shows its own preview of the sealed arguments).
 */
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, inputRequired, inputResponse, type ElicitRequestURLParams, type ElicitResult, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import { externalCallStateSchema, type ExternalCallState } from '@skyflo/protocol';
import { toolCallHash } from '@skyflo/protocol/approval-hashes';
import { toolError } from '../contract/errors.ts';
import { validateInput } from '../tools/run-tool.ts';
import type { AnyToolDefinition, ToolOutput } from '../contract/tool-definition.ts';
import type { ToolDeps } from '../deps/deps.ts';
import { callerOf } from './confirm-in-band.ts';
import { externalCallHandles, type EngineCallState } from './external-call-handles.ts';

/** Where the engine is, and the credential this server proposes calls with (SKYFLO_ENGINE_URL, SKYFLO_ENGINE_TOKEN). */
export interface EngineApprovals {
  url: string;
  token: string;
  /** how long one retry waits for a decision before answering `input_required` again (default 20 s) */
  waitMs?: number;
  /** between two looks at the call while waiting (default 500 ms) */
  pollMs?: number;
  /** the `pollIntervalMs` a task-capable client is told (external-call-tasks.ts; default 2 s) */
  taskPollMs?: number;
  /**
   * MCP_STATE_KEY: what the requestStates and task ids are sealed with (derived; external-call-handles.ts says why).
   * Unset: derived from `token`, the same on every replica.
   */
  stateKey?: string;
}

/**
 * A 2025-11-25 session's client, asked mid-call (URL-mode elicitation, `elicitation/create` with `mode: "url"`): the
 * call then waits, within the same request, for the person's decision (up to `legacyWaitMs`, default 10 minutes).
 */
export interface SessionUrlElicitor {
  canOpenUrl(): boolean;
  openUrl(params: ElicitRequestURLParams): Promise<ElicitResult>;
  /** the client's name from its initialize, for the approver */
  clientName?(): string | undefined;
}

export type EngineDecision = { proceed: false; output: ToolOutput } | { done: ToolOutput } | { ask: InputRequiredResult };

const inputKey = 'approve';

/** Whether a 2026-07-28 request's client declared URL-mode elicitation (the only way to hand it the page). */
export function canOpenUrl(ctx: ServerContext): boolean {
  const capabilities = (ctx.mcpReq.envelope as Record<string, { elicitation?: { url?: unknown } } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return capabilities?.elicitation?.url !== undefined;
}

export function clientNameOf(ctx: ServerContext): string | undefined {
  const info = (ctx.mcpReq.envelope as Record<string, { name?: unknown } | undefined> | undefined)?.[CLIENT_INFO_META_KEY];
  return typeof info?.name === 'string' ? info.name : undefined;
}

export async function engineRequest(engine: Pick<EngineApprovals, 'url' | 'token'>, method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<ExternalCallState | { failed: string }> {
  let response: Response;
  try {
    response = await fetch(new URL(`/api/v1${pathname}`, engine.url), {
      method,
      headers: { authorization: `Bearer ${engine.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    return { failed: `the Skyflo engine at ${engine.url} could not be reached (${error instanceof Error ? error.message : String(error)})` };
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text.slice(0, 300);
    try {
      detail = String((JSON.parse(text) as { detail?: unknown }).detail ?? detail);
    } catch {
      // not JSON: the text as it came
    }
    return { failed: `the Skyflo engine answered ${response.status}: ${detail}` };
  }
  const parsed = externalCallStateSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : { failed: 'the Skyflo engine answered with something that is not an external call state' };
}

/** The page, absolute: the engine gives a relative link when it does not know its public address (same origin as its API). */
export const pageOf = (engine: EngineApprovals, state: ExternalCallState) => new URL(state.approval_url, engine.url).toString();

function askToApprove(engine: EngineApprovals, definition: AnyToolDefinition<ToolDeps>, state: ExternalCallState, sealed: string, withPage: boolean): { ask: InputRequiredResult } {
  const message = `A person must approve ${definition.name} in Skyflo before it runs. Open the approval page (it shows the exact arguments and the dry-run diff; approve or deny there), then come back.`;
  return {
    ask: inputRequired({
      ...(withPage ? { inputRequests: { [inputKey]: inputRequired.elicitUrl({ message, url: pageOf(engine, state) }) } } : {}),
      requestState: sealed,
    }),
  };
}

/** A finished call as this tool's answer; undefined while it still waits or runs. */
export function outcomeOf(definition: AnyToolDefinition<ToolDeps>, state: ExternalCallState): ToolOutput | undefined {
  switch (state.status) {
    case 'awaiting':
    case 'approved':
    case 'executing':
      return undefined;
    case 'executed':
    case 'completed':
      return state.is_error ? toolError(state.result ?? `${definition.name} failed.`, undefined, 'FAILED') : { text: state.result ?? '', isError: false };
    case 'denied':
      return toolError(`${state.decided_by_email ?? 'A person'} denied ${definition.name} in Skyflo${state.reason ? `: ${state.reason}` : ''}; nothing was run.`, 'ask what to change before proposing it again', 'FORBIDDEN');
    default:
      return toolError(`${definition.name} was not run (${state.status}): ${state.result ?? 'see the call in Skyflo'}`, `the call in Skyflo: ${state.approval_url}`, state.status === 'refused' ? 'FORBIDDEN' : 'FAILED');
  }
}

export async function confirmThroughSkyflo(options: { definition: AnyToolDefinition<ToolDeps>; input: unknown; engine: EngineApprovals | undefined; session?: SessionUrlElicitor; legacyWaitMs?: number }, ctx: ServerContext): Promise<EngineDecision> {
  const { definition, engine } = options;
  const parsed = validateInput(definition, options.input);
  if (!parsed.ok) return { proceed: false, output: parsed.output };
  if (!engine) {
    return { proceed: false, output: toolError(`${definition.name} is not read-only and this server hands such calls to Skyflo (--confirm=skyflo), but no engine is configured (SKYFLO_ENGINE_URL, SKYFLO_ENGINE_TOKEN). Nothing was run.`, undefined, 'FAILED') };
  }
  // Bound as the engine binds its approvals (tool and arguments as sent; the engine seals its own exact ones).
  const args = (options.input ?? {}) as Record<string, unknown>;
  const argsHash = toolCallHash(definition.name, args);
  // a 2025 session (no envelope): no input_required, the page is opened mid-call and the call waits for the decision
  if (ctx.mcpReq.envelope === undefined) return confirmOnSession({ definition, engine, args, session: options.session, waitMs: options.legacyWaitMs ?? 10 * 60_000 }, ctx);
  const state = ctx.mcpReq.requestState<EngineCallState | { kind?: undefined }>();

  if (state === undefined) {
    if (!canOpenUrl(ctx)) {
      return {
        proceed: false,
        output: toolError(
          `${definition.name} is not read-only, so a person approves it in Skyflo first (--confirm=skyflo), but this MCP client cannot open a page for them (it did not declare URL-mode elicitation on a 2026-07-28 request). Nothing was proposed or run.`,
          'use an MCP client on protocol 2026-07-28 that supports URL elicitation, or run the change through Skyflo',
          'FORBIDDEN',
        ),
      };
    }
    const proposed = await propose(engine, definition, args, { name: clientNameOf(ctx), caller: callerOf(ctx) });
    if ('failed' in proposed) return { proceed: false, output: proposed.failed };
    const finished = outcomeOf(definition, proposed);
    if (finished) return { done: finished };
    const sealed = await externalCallHandles(engine).mintRequestState({ kind: 'engine', tool: definition.name, argsHash, conversationId: proposed.conversation_id, callId: proposed.call_id }, ctx);
    return askToApprove(engine, definition, proposed, sealed, true);
  }

  if (typeof state !== 'object' || state.kind !== 'engine' || state.tool !== definition.name || state.argsHash !== argsHash) {
    return { proceed: false, output: toolError(`The approval state sent with this call of ${definition.name} was given for another call (other arguments); nothing was run.`, 'call the tool again: a new approval is asked for', 'FORBIDDEN') };
  }
  const answer = inputResponse(ctx.mcpReq.inputResponses, inputKey);
  if (answer.kind === 'elicit' && answer.action !== 'accept') {
    return {
      proceed: false,
      output: toolError(
        `The approval page of ${definition.name} was ${answer.action === 'decline' ? 'declined' : 'dismissed'}, so this call stops here and nothing was run by it. The call still waits in Skyflo's approvals queue until a person decides it.`,
        undefined,
        'FORBIDDEN',
      ),
    };
  }
  // A person may be deciding now: look again until they did (and the engine ran it) or waitMs passes.
  const waited = await waitForDecision(engine, definition, state, engine.waitMs ?? 20_000, ctx.mcpReq.signal);
  if (!('pending' in waited)) return waited;
  // The call, not this round, is what the state names; that the page was answered travels in it, so no process (this
  // one restarted, another replica) asks again a client that polls with the state alone.
  const pageAnswered = state.pageAnswered === true || answer.kind === 'elicit';
  const sealed = await externalCallHandles(engine).mintRequestState({ ...state, ...(pageAnswered ? { pageAnswered } : {}) }, ctx);
  return askToApprove(engine, definition, waited.pending, sealed, !pageAnswered);
}

export async function propose(engine: EngineApprovals, definition: AnyToolDefinition<ToolDeps>, args: Record<string, unknown>, client: { name: string | undefined; caller: string }): Promise<ExternalCallState | { failed: ToolOutput }> {
  const proposed = await engineRequest(engine, 'POST', '/agent/external-calls', { tool: definition.name, arguments: args, client: { ...(client.name ? { name: client.name } : {}), caller: client.caller } });
  return 'failed' in proposed ? { failed: toolError(`${definition.name} could not be proposed for approval: ${proposed.failed}. Nothing was run.`, undefined, 'FAILED') } : proposed;
}

/** Looks at the call until it is finished (its outcome) or `waitMs` passed (`pending`, as last seen). */
async function waitForDecision(engine: EngineApprovals, definition: AnyToolDefinition<ToolDeps>, call: Pick<EngineCallState, 'callId' | 'conversationId'>, waitMs: number, signal: AbortSignal): Promise<EngineDecision | { pending: ExternalCallState }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = await engineRequest(engine, 'GET', `/agent/external-calls/${encodeURIComponent(call.callId)}?conversation_id=${encodeURIComponent(call.conversationId)}`);
    if ('failed' in current) return { proceed: false, output: toolError(`Where ${definition.name} stands in Skyflo could not be read: ${current.failed}.`, 'call the tool again with the same arguments to look again', 'FAILED') };
    if (current.call_id !== call.callId || current.tool !== definition.name) return { proceed: false, output: toolError(`The Skyflo engine answered for another call than ${call.callId}; nothing was run here.`, undefined, 'FAILED') };
    const finished = outcomeOf(definition, current);
    if (finished) return { done: finished };
    if (Date.now() >= deadline || signal.aborted) return { pending: current };
    await new Promise((resolve) => setTimeout(resolve, engine.pollMs ?? 500));
  }
}

/** A 2025-11-25 session: the page is opened mid-call (URL-mode elicitation), and the call waits for the decision. */
async function confirmOnSession(
  options: { definition: AnyToolDefinition<ToolDeps>; engine: EngineApprovals; args: Record<string, unknown>; session: SessionUrlElicitor | undefined; waitMs: number },
  ctx: ServerContext,
): Promise<EngineDecision> {
  const { definition, engine, session } = options;
  if (!session?.canOpenUrl()) {
    return {
      proceed: false,
      output: toolError(
        `${definition.name} is not read-only, so a person approves it in Skyflo first (--confirm=skyflo), but this MCP client cannot open a page for them (it did not declare URL-mode elicitation). Nothing was proposed or run.`,
        'use an MCP client that supports URL elicitation (protocol 2025-11-25 or 2026-07-28), or run the change through Skyflo',
        'FORBIDDEN',
      ),
    };
  }
  const proposed = await propose(engine, definition, options.args, { name: session.clientName?.(), caller: callerOf(ctx) });
  if ('failed' in proposed) return { proceed: false, output: proposed.failed };
  const finished = outcomeOf(definition, proposed);
  if (finished) return { done: finished };
  let answer: ElicitResult;
  try {
    answer = await session.openUrl({ mode: 'url', message: `A person must approve ${definition.name} in Skyflo before it runs. Open the approval page (it shows the exact arguments and the dry-run diff; approve or deny there); this call waits for the decision.`, url: pageOf(engine, proposed), elicitationId: proposed.call_id });
  } catch (error) {
    return { proceed: false, output: toolError(`The approval page of ${definition.name} could not be handed to the client (${error instanceof Error ? error.message : String(error)}); the call waits in Skyflo's approvals queue until a person decides it.`, `the call in Skyflo: ${pageOf(engine, proposed)}`, 'FAILED') };
  }
  if (answer.action !== 'accept') {
    return { proceed: false, output: toolError(`The approval page of ${definition.name} was ${answer.action === 'decline' ? 'declined' : 'dismissed'}, so this call stops here and nothing was run by it. The call still waits in Skyflo's approvals queue until a person decides it.`, undefined, 'FORBIDDEN') };
  }
  const waited = await waitForDecision(engine, definition, { callId: proposed.call_id, conversationId: proposed.conversation_id }, options.waitMs, ctx.mcpReq.signal);
  if (!('pending' in waited)) return waited;
  return {
    proceed: false,
    output: toolError(
      `Nobody decided ${definition.name} in Skyflo while this call waited, so it returns without a result. The call still waits there: once approved, Skyflo runs it (it does not run twice).`,
      `the call in Skyflo: ${pageOf(engine, proposed)}`,
      'TIMEOUT',
    ),
  };
}
