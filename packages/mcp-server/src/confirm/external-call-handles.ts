/**
 * --confirm=skyflo's handles (issue 77 item 2): the `requestState` of the input_required + retry path and the task id
 * of the tasks path. Each is self-contained: it names the engine's call (call id, conversation), the tool and the
 * hash of the arguments it was proposed with, its expiry (a day: a person may take hours), and is bound to the caller
 * (the OAuth subject, or the client token's holder). The engine's record is the truth about the call, so nothing else
 * is needed to answer for it: any replica, or this process after a restart, serves a handle another one handed out.
 *
 * Sealed with the SDK's request-state codec (HMAC-SHA-256 over the payload, the expiry and a tag of the binding; the
 * payload itself is readable, and holds nothing the client was not shown: the call's ids are in the page's URL).
 * A handle is never an authorization: holding it only lets its own caller look at (or withdraw) the call; deciding is
 * the engine's, by a person.
 *
 * The key: every replica must share it and a restart must keep it, so it is derived (HKDF-SHA-256, one key per kind
 * of handle, so a requestState is never accepted as a task id or the other way round) from a configured secret:
 * - MCP_STATE_KEY when set (at least 32 characters), so rotating the engine token does not void the handles out;
 * - else SKYFLO_ENGINE_TOKEN, which --confirm=skyflo requires anyway. Every replica proposes as the same person, so
 *   it is the same everywhere by construction; and whoever holds it can already read, propose and cancel every call
 *   a handle can name (the engine's /agent/external-calls routes take it), so a handle forged with it grants nothing
 *   the token does not. Not MCP_AUTH_TOKEN (often unset: a client-token-only server) nor the client token (its
 *   holders are the very callers the binding tells apart), nor a file in the data dir (not shared by replicas).
 */
import { hkdfSync } from 'node:crypto';
import { createRequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { callerOf } from './confirm-in-band.ts';

/** How long a handle is honoured: the engine keeps the call (and a person may take) as long. */
export const handleTtlSeconds = 24 * 3600;

/** --confirm=skyflo's requestState: the engine's call this caller's call waits for. */
export interface EngineCallState {
  kind: 'engine';
  tool: string;
  argsHash: string;
  conversationId: string;
  callId: string;
  /** the client answered the approval page: later rounds carry only the state (it is not asked again) */
  pageAnswered?: boolean;
}

/** A task id's payload: the engine's call the task waits for, and when it was created (the extension's createdAt). */
export interface ExternalCallTaskHandle {
  kind: 'task';
  tool: string;
  argsHash: string;
  conversationId: string;
  callId: string;
  createdAt: string;
}

/** What the key is derived from (the engine configuration's `stateKey`, else its token: see above). */
export interface HandleSecret {
  token: string;
  stateKey?: string | undefined;
}

const derive = (secret: HandleSecret, purpose: string) => new Uint8Array(hkdfSync('sha256', secret.stateKey ?? secret.token, 'skyflo-mcp external-call handles', `skyflo-mcp ${purpose} v1`, 32));

function codecsOf(secret: HandleSecret) {
  return {
    // bound to the method too: a tools/call state is not a state of another method
    requestState: createRequestStateCodec<EngineCallState>({ key: derive(secret, 'requestState'), ttlSeconds: handleTtlSeconds, bind: (ctx) => `${ctx.mcpReq.method}\u0000${callerOf(ctx)}` }),
    // bound to the caller only: a task made by tools/call is read by tasks/get, tasks/update and tasks/cancel
    task: createRequestStateCodec<ExternalCallTaskHandle>({ key: derive(secret, 'task'), ttlSeconds: handleTtlSeconds, bind: (ctx) => callerOf(ctx) }),
  };
}

/**
 * The codecs derived from one configuration object, derived once: createMcpServer runs once per 2026-07-28 request
 * with the same configuration. Keyed by the object, not its secrets, so no token is held beyond the configuration.
 */
const derived = new WeakMap<HandleSecret, ReturnType<typeof codecsOf>>();

/** The codecs of this secret. */
export function externalCallHandles(secret: HandleSecret) {
  let codecs = derived.get(secret);
  if (!codecs) {
    codecs = codecsOf(secret);
    derived.set(secret, codecs);
  }
  const { requestState, task } = codecs;
  return {
    mintRequestState: (state: EngineCallState, ctx: ServerContext) => requestState.mint(state, ctx),
    /** Throws on a state sealed elsewhere (another key, another caller or method), tampered with or expired. */
    verifyRequestState: async (state: string, ctx: ServerContext): Promise<EngineCallState> => {
      const payload = await requestState.verify(state, ctx);
      if (payload?.kind !== 'engine') throw new Error('not an engine call state');
      return payload;
    },
    mintTaskId: (handle: ExternalCallTaskHandle, ctx: ServerContext) => task.mint(handle, ctx),
    /** The handle, or undefined for an id this secret did not seal for this caller (or expired): all alike to the caller. */
    openTaskId: async (taskId: string, ctx: ServerContext): Promise<ExternalCallTaskHandle | undefined> => {
      const payload = await task.verify(taskId, ctx).catch(() => undefined);
      return payload?.kind === 'task' ? payload : undefined;
    },
  };
}
