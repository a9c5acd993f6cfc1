/**
 * The human in the loop for direct MCP clients (Claude Desktop, Cursor, the Inspector…). A call that is not
 * read-only, from a caller that is not the Skyflo engine, runs only when `--confirm` allows it:
 *
 * - `elicit`: the server asks the human through MCP elicitation (`elicitation/create`, spec 2025-06-18), showing the
 *   tool, the exact arguments (secret values masked) and the server-side dry-run diff from preview_tool_call, and
 *   runs only on accept. A client that cannot elicit is refused: nobody could be asked, so nothing runs.
 * - `deny`: refused. `allow`: run at once.
 *
 * Why on the server: a direct client reaches the tools with no approval gate of its own that we could rely on
 * (most run a tool as soon as the model asks), so the server is the last place a human can be put in the loop.
 * The engine's connection is trusted and skips this: its approval gate already asked, and asking twice would
 * show the same change twice.
 *
 * A human may take minutes to answer. When the preview bound what it showed to a rendered manifest (a Helm chart
 * whose templates read the cluster), the preview is run again after the accept and the call is refused if the
 * manifest changed meanwhile: the human accepted that manifest, not whatever the cluster turns it into.
 */
import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/server';
import { toolError } from '../contract/errors.ts';
import { redactToolArguments } from '@skyflo/safety';
import type { ToolDeps } from '../deps/deps.ts';
import { isPreviewable } from '../tools/preview/preview-tool-call.ts';
import { runTool, validateInput } from '../tools/run-tool.ts';
import type { AnyToolDefinition, ToolCallContext, ToolOutput } from '../contract/tool-definition.ts';
import type { ConfirmMode } from './confirm-mode.ts';

/** What confirmation needs from the MCP connection: whether the client declared elicitation, and a way to ask. */
export interface Elicitor {
  canElicit(): boolean;
  elicit(params: ElicitRequestFormParams): Promise<ElicitResult>;
}

export interface ConfirmToolCallOptions {
  mode: ConfirmMode;
  definition: AnyToolDefinition<ToolDeps>;
  input: unknown;
  deps: ToolDeps;
  context: ToolCallContext;
  elicitor: Elicitor;
  /** preview_tool_call of this server, when it offers one */
  previewTool?: AnyToolDefinition<ToolDeps>;
}

export type ConfirmDecision =
  /** run with these arguments (the resolved ones the human saw, when the preview made relative ones absolute) */
  | { proceed: true; input: unknown }
  | { proceed: false; output: ToolOutput };

/** The diff shown in the question is capped: a form dialog is no place for a 200 KB chart diff. */
const maxDiffChars = 8_000;

const howToChange =
  'use an MCP client that supports elicitation (the MCP Inspector, VS Code…), run the change through Skyflo (its approval card), or restart the server with --confirm=allow to run changes without asking (no human in the loop)';

export async function confirmToolCall(options: ConfirmToolCallOptions): Promise<ConfirmDecision> {
  const { mode, definition, input } = options;
  if (mode === 'allow') return { proceed: true, input };
  // Bad arguments fail here exactly as they would when run, before anyone is asked about them.
  const parsed = validateInput(definition, input);
  if (!parsed.ok) return { proceed: false, output: parsed.output };
  if (mode === 'deny') {
    return {
      proceed: false,
      output: toolError(
        `${definition.name} is not read-only, and this MCP server runs with --confirm=deny, which refuses every tool that is not read-only for clients other than the Skyflo engine. Nothing was run.`,
        'use read-only tools, run the change through Skyflo, or ask the operator to restart the server with --confirm=elicit (ask a human) or --confirm=allow',
        'FORBIDDEN',
      ),
    };
  }
  if (!options.elicitor.canElicit()) {
    return {
      proceed: false,
      output: toolError(
        `${definition.name} is not read-only, so this server asks a human first (--confirm=elicit), but this MCP client did not declare the elicitation capability, so nobody can be asked. Nothing was run.`,
        howToChange,
        'FORBIDDEN',
      ),
    };
  }
  const preview = await previewOf(options);
  if (preview.failed) return { proceed: false, output: preview.failed };

  let answer: ElicitResult;
  try {
    answer = await options.elicitor.elicit({
      mode: 'form',
      message: questionText(definition, preview.arguments, preview.text),
      // Accept or decline is the whole answer; no fields to fill in.
      requestedSchema: { type: 'object', properties: {} },
    });
  } catch (error) {
    return {
      proceed: false,
      output: toolError(`Asking for confirmation of ${definition.name} failed (${error instanceof Error ? error.message : String(error)}), so nothing was run.`, 'call the tool again and answer the confirmation request', 'FAILED'),
    };
  }
  if (answer.action !== 'accept') {
    return {
      proceed: false,
      output: toolError(`The user ${answer.action === 'decline' ? 'declined' : 'dismissed'} ${definition.name}; nothing was run.`, 'ask the user what to change before trying again', 'FORBIDDEN'),
    };
  }
  if (preview.manifestDigest !== undefined) {
    const again = await previewOf({ ...options, input: preview.arguments });
    // the digest covers the manifest to install, the diff the live side it replaces (a release installed meanwhile)
    if (again.failed || again.manifestDigest !== preview.manifestDigest || again.diff !== preview.diff) {
      return {
        proceed: false,
        output: toolError(
          `TARGET_CHANGED: the target of ${definition.name} changed while the user was deciding: the manifest it would install now differs from the one that was accepted. Nothing was run.`,
          'call the tool again to see and confirm the current manifest',
          'CONFLICT',
        ),
      };
    }
  }
  return { proceed: true, input: preview.arguments };
}

export interface Preview {
  /** the arguments to show and run: resolved by preview_tool_call, or as sent */
  arguments: Record<string, unknown>;
  text: string;
  /** the preview's manifest_digest (Helm) and diff, re-checked after the accept */
  manifestDigest?: string;
  diff?: string;
  failed?: ToolOutput;
}

export async function previewOf(options: ConfirmToolCallOptions): Promise<Preview> {
  const sent = (options.input ?? {}) as Record<string, unknown>;
  if (!options.previewTool || !isPreviewable(options.definition)) {
    return { arguments: sent, text: 'No dry-run preview exists for this tool: the arguments above are all there is to review.' };
  }
  const output = await runTool(options.previewTool, { tool: options.definition.name, arguments: sent }, options.deps, options.context);
  if (output.isError) {
    // A call whose dry run fails would most likely fail too; asking a human to approve it blind helps nobody.
    return { arguments: sent, text: '', failed: { ...output, text: `The dry run of ${options.definition.name} failed, so nobody was asked and nothing was run.\n${output.text}` } };
  }
  const resolved = output.structured?.['resolved_arguments'];
  const diff = typeof output.structured?.['diff'] === 'string' ? output.structured['diff'] : '';
  const notes = Array.isArray(output.structured?.['resolution']) ? (output.structured['resolution'] as string[]) : [];
  const risks = Array.isArray(output.structured?.['risks']) ? (output.structured['risks'] as Array<{ severity: string; message: string }>) : [];
  const shown = diff || output.text;
  const lines = [
    ...(notes.length > 0 ? ['Resolved before approval:', ...notes.map((note) => `  ${note}`), ''] : []),
    ...(risks.length > 0 ? ['Risks:', ...risks.map((risk) => `  [${risk.severity}] ${risk.message}`), ''] : []),
    diff ? 'Dry-run diff (server side):' : 'Dry run (server side):',
    shown.length > maxDiffChars ? `${shown.slice(0, maxDiffChars)}\n… (${shown.length - maxDiffChars} more characters; call preview_tool_call to see it all)` : shown,
  ];
  const manifestDigest = typeof output.structured?.['manifest_digest'] === 'string' ? output.structured['manifest_digest'] : undefined;
  return { arguments: resolved && typeof resolved === 'object' ? (resolved as Record<string, unknown>) : sent, text: lines.join('\n'), diff, ...(manifestDigest ? { manifestDigest } : {}) };
}

export function questionText(definition: AnyToolDefinition<ToolDeps>, args: Record<string, unknown>, preview: string): string {
  const effect = definition.annotations.destructiveHint ? 'It is DESTRUCTIVE: it can delete data or take a service down.' : 'It changes state.';
  return [
    `Run ${definition.name} (${definition.title})? ${effect}`,
    '',
    'Arguments (exactly what will run; secret values masked here):',
    JSON.stringify(redactToolArguments(definition.name, args), null, 2),
    '',
    preview,
    '',
    'Accept to run it, decline to cancel.',
  ].join('\n');
}
