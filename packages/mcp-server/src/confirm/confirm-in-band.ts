/**
 * --confirm=elicit for a 2026-07-28 request (issue 77 item 2, its form part). That revision has no server-to-client
 * request: the call itself answers `input_required` with the same question confirm-tool-call.ts asks a 2025 client
 * (tool, exact arguments with secrets masked, the server-side dry-run diff), and the client retries the call carrying
 * the human's answer and the `requestState` this server minted.
 *
 * The state travels through the client, so it is sealed (the SDK's HMAC codec, a key of this process) and bound to
 * the caller (the OAuth subject; every holder of the client token is one caller) and to the method. What it says
 * is what the human was shown: the call's hash (tool and arguments, as the engine's approvals bind them) and the
 * preview's. On the retry the preview is run again and the call runs only when both still match: an accept is never
 * spent on other arguments, nor on a target that changed while the human was reading. Holding the state is not the
 * decision: only an `accept` in the retry's own answer runs the call.
 */
import { randomBytes } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, createRequestStateCodec, inputRequired, inputResponse, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import { previewHash, toolCallHash } from '@skyflo/protocol/approval-hashes';
import { toolError } from '../contract/errors.ts';
import { validateInput } from '../tools/run-tool.ts';
import { previewOf, questionText, type ConfirmDecision, type ConfirmToolCallOptions } from './confirm-tool-call.ts';

interface ConfirmState {
  kind?: undefined;
  tool: string;
  argsHash: string;
  diffHash: string;
}

/** --confirm=skyflo's state (external-call-handles.ts: a key every replica shares) is checked by the verifier passed in. */
type SealedState = ConfirmState | { kind: 'engine' };

/** The caller a state is bound to: the OAuth subject (or client id); token callers have no authInfo. */
export function callerOf(ctx: ServerContext): string {
  const authInfo = ctx.http?.authInfo;
  return String(authInfo?.extra?.['subject'] ?? authInfo?.clientId ?? 'client-token');
}

/**
 * One key per process for the form question: a person answers it within minutes, and a restart (or another replica)
 * only makes the client ask again, which shows the question again. Ten minutes, like the 2025 elicitation's wait.
 */
const bindToCaller = (ctx: ServerContext) => `${ctx.mcpReq.method}\u0000${callerOf(ctx)}`;
const codec = createRequestStateCodec<ConfirmState>({ key: randomBytes(32), ttlSeconds: 600, bind: bindToCaller });

/**
 * For McpServer's `requestState.verify`: a state that was not sealed here, expired or is another caller's is refused
 * (-32602) before any tool runs. `verifyEngineState`: --confirm=skyflo's own (external-call-handles.ts), when configured.
 */
export async function verifyConfirmState(state: string, ctx: ServerContext, verifyEngineState?: (state: string, ctx: ServerContext) => Promise<{ kind: 'engine' }>): Promise<SealedState> {
  try {
    return await codec.verify(state, ctx);
  } catch (formError) {
    // not sealed with the form key: it may be an engine call's state (another key); else the form's refusal stands
    if (!verifyEngineState) throw formError;
    return verifyEngineState(state, ctx).catch(() => Promise.reject(formError));
  }
}

/** Whether the request is a 2026-07-28 one whose client declared elicitation (so it can be asked in band). */
export function canAskInBand(ctx: ServerContext): boolean {
  // the envelope keeps the reserved _meta keys as they came (io.modelcontextprotocol/clientCapabilities)
  const capabilities = (ctx.mcpReq.envelope as Record<string, { elicitation?: unknown } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return capabilities?.elicitation !== undefined;
}

export async function confirmInBand(options: ConfirmToolCallOptions, ctx: ServerContext): Promise<ConfirmDecision | { ask: InputRequiredResult }> {
  const { definition } = options;
  const parsed = validateInput(definition, options.input);
  if (!parsed.ok) return { proceed: false, output: parsed.output };
  const preview = await previewOf(options);
  if (preview.failed) return { proceed: false, output: preview.failed };
  const bound: ConfirmState = { tool: definition.name, argsHash: toolCallHash(definition.name, preview.arguments), diffHash: previewHash(preview.diff || preview.text, preview.manifestDigest) };
  const state = ctx.mcpReq.requestState<SealedState>();
  if (state === undefined) {
    return {
      ask: inputRequired({
        inputRequests: {
          // Accept or decline is the whole answer; no fields to fill in.
          confirm: inputRequired.elicit({ mode: 'form', message: questionText(definition, preview.arguments, preview.text), requestedSchema: { type: 'object', properties: {} } }),
        },
        requestState: await codec.mint(bound, ctx),
      }),
    };
  }
  if (typeof state !== 'object' || state.kind !== undefined || state.tool !== bound.tool || state.argsHash !== bound.argsHash) {
    return { proceed: false, output: toolError(`The confirmation sent with this call of ${definition.name} was given for another call (other arguments); nothing was run.`, 'call the tool again and confirm this call', 'FORBIDDEN') };
  }
  if (state.diffHash !== bound.diffHash) {
    return {
      proceed: false,
      output: toolError(
        `TARGET_CHANGED: the target of ${definition.name} changed while the user was deciding: its dry run now differs from the one that was accepted. Nothing was run.`,
        'call the tool again to see and confirm the current change',
        'CONFLICT',
      ),
    };
  }
  const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
  if (answer.kind !== 'elicit' || answer.action !== 'accept') {
    const what = answer.kind === 'elicit' ? (answer.action === 'decline' ? 'declined' : 'dismissed') : 'did not answer';
    return { proceed: false, output: toolError(`The user ${what} ${definition.name}; nothing was run.`, 'ask the user what to change before trying again', 'FORBIDDEN') };
  }
  return { proceed: true, input: preview.arguments };
}
