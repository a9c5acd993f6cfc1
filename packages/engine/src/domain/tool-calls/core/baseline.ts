/**
 * The before-state of a mutating call (issue 21): what the MCP server's read-only `capture_change_baseline` tool
 * reads before the call runs, and the inverse call that would restore it. Sealed at rest with the engine's secret box
 * (it may hold a whole manifest, Secret values included), bound to its approval row, erased with the conversation.
 */
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { RecordedUndo } from '../../../platform/ports/index.ts';
import { offersTool, type ToolGateway } from '../../../platform/ports/tool-gateway.ts';

export const captureBaselineTool = 'capture_change_baseline';

export interface InverseCall {
  tool: string;
  args: Record<string, unknown>;
  summary: string;
}

export interface Baseline {
  undoable: boolean;
  reason?: string;
  before?: Record<string, unknown>;
  inverse?: InverseCall;
}

/** What is sealed in the row: the call's exact arguments (a verification resumed after a restart needs them) and the baseline. */
export interface SealedBefore {
  args: Record<string, unknown>;
  before?: Record<string, unknown>;
  inverse?: InverseCall;
}

/** Bound to its row, like the exact arguments (sealContext), but never interchangeable with them. */
export const beforeContext = (conversationId: string, callId: string) => `before:${conversationId}:${callId}`;

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

export function parseBaseline(structured: Record<string, unknown> | undefined): Baseline | undefined {
  if (!structured || typeof structured['undoable'] !== 'boolean') return undefined;
  const inverse = structured['inverse'];
  const validInverse = isObject(inverse) && typeof inverse['tool'] === 'string' && isObject(inverse['args']) && typeof inverse['summary'] === 'string';
  return {
    undoable: structured['undoable'] && validInverse,
    ...(typeof structured['reason'] === 'string' ? { reason: structured['reason'] } : {}),
    ...(isObject(structured['before']) ? { before: structured['before'] } : {}),
    ...(validInverse ? { inverse: { tool: inverse['tool'] as string, args: inverse['args'] as Record<string, unknown>, summary: inverse['summary'] as string } } : {}),
  };
}

/**
 * Reads the before-state of `tool(args)`; undefined when the MCP server has no such tool or the read failed (the
 * call then simply offers no Undo: recording a before-state never blocks a change that was approved).
 */
export async function captureBaseline(tools: Pick<ToolGateway, 'callTool' | 'listTools'>, input: { tool: string; args: Record<string, unknown>; signal?: AbortSignal; timeoutMs?: number }): Promise<Baseline | undefined> {
  try {
    // An MCP server without the tool (an older one, a test double) is not asked: nothing is recorded.
    if (!(await offersTool(tools, captureBaselineTool))) return undefined;
    const outcome = await tools.callTool({ name: captureBaselineTool, args: { tool: input.tool, args: input.args }, ...(input.signal ? { signal: input.signal } : {}), timeoutMs: input.timeoutMs ?? 30_000 });
    if (outcome.isError) return undefined;
    return parseBaseline(outcome.structured);
  } catch {
    return undefined;
  }
}

export function sealBefore(box: SecretBox, conversationId: string, callId: string, value: SealedBefore): string {
  return box.seal(JSON.stringify(value), beforeContext(conversationId, callId));
}

/** undefined when absent or unreadable (another key, a tampered row). */
export function openBefore(box: SecretBox, conversationId: string, callId: string, sealed: string | undefined): SealedBefore | undefined {
  if (!sealed) return undefined;
  try {
    const value = JSON.parse(box.open(sealed, beforeContext(conversationId, callId))) as SealedBefore;
    return isObject(value) && isObject(value.args) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The inverse's diff against the state the change will leave: the change's own preview, reversed (the inverse
 * restores exactly what the change replaces, so its diff is the change's with sides swapped). Issue 37 item 8: the
 * preview's own header (its summary, "rolled back to revision 1") describes the change, not the inverse, so it is
 * replaced by the inverse's `summary`; and each run of changed lines lists its removals before its additions, as
 * any diff does (swapping the signs alone would list `+` before `−`).
 */
export function reverseUnifiedDiff(diff: string, summary?: string): string {
  const lines = diff.split('\n');
  const firstFile = lines.findIndex((line) => line.startsWith('--- '));
  const out: string[] = summary && firstFile > 0 ? [summary, ''] : [];
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    out.push(...removed, ...added);
    removed = [];
    added = [];
  };
  for (const line of firstFile > 0 ? lines.slice(firstFile) : lines) {
    if (line.startsWith('--- ')) {
      flush();
      out.push(`+++ ${line.slice(4)}`);
      continue;
    }
    if (line.startsWith('+++ ')) {
      flush();
      out.push(`--- ${line.slice(4)}`);
      continue;
    }
    if (line.startsWith('+')) removed.push(`-${line.slice(1)}`);
    else if (line.startsWith('-')) added.push(`+${line.slice(1)}`);
    else {
      flush();
      const hunk = /^@@ -(\S+) \+(\S+) @@(.*)$/.exec(line);
      out.push(hunk ? `@@ -${hunk[2]} +${hunk[1]} @@${hunk[3]}` : line);
    }
  }
  flush();
  return out.join('\n').replace(/^(\+\+\+ .*)\n(--- .*)$/gm, '$2\n$1');
}

/** The sealed before-state and the inverse as the card shows it, recorded with the approval when it is requested. */
export async function baselineAtPreview(
  deps: { tools: Pick<ToolGateway, 'callTool' | 'listTools'>; secretBox: SecretBox },
  input: {
    conversationId: string;
    callId: string;
    tool: string;
    exactArgs: Record<string, unknown>;
    diff?: string;
    signal?: AbortSignal;
    shownArgsOf: (tool: string, args: Record<string, unknown>) => Record<string, unknown>;
    hash: (tool: string, args: Record<string, unknown>) => string;
    /** the inverse's risks and destructiveness, as the gate assesses any call (who may choose automatic revert) */
    assess?: (inverse: InverseCall) => Pick<RecordedUndo, 'risks' | 'destructive' | 'secondPersonRequired'>;
  },
): Promise<{ beforeSealed?: string; undo?: RecordedUndo }> {
  const baseline = await captureBaseline(deps.tools, { tool: input.tool, args: input.exactArgs, ...(input.signal ? { signal: input.signal } : {}) });
  if (!baseline) return {};
  const inverse = baseline.undoable ? baseline.inverse : undefined;
  const sealed: SealedBefore = { args: input.exactArgs, ...(baseline.before ? { before: baseline.before } : {}), ...(inverse ? { inverse } : {}) };
  return {
    beforeSealed: sealBefore(deps.secretBox, input.conversationId, input.callId, sealed),
    ...(inverse
      ? {
          undo: {
            tool: inverse.tool,
            args: input.shownArgsOf(inverse.tool, inverse.args),
            summary: inverse.summary,
            ...(input.diff ? { diff: reverseUnifiedDiff(input.diff, inverse.summary) } : {}),
            argsHash: input.hash(inverse.tool, inverse.args),
            ...(input.assess ? input.assess(inverse) : {}),
          },
        }
      : {}),
  };
}
