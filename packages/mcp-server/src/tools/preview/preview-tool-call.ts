/**
 * preview_tool_call: the wire-level preview capability. A client (the engine's approval gate, or any MCP
 * client) names a mutating tool and the arguments it is about to send; the server validates them against
 * that tool's own schema, resolves relative arguments into absolute ones (the previous revision → its number,
 * the latest chart version → the exact version plus a pinned chart archive, "lastBuild" → a build number),
 * runs the read-only preview (k8s_diff, helm_upgrade_diff, or the tool's own description) with exactly those
 * resolved arguments, and returns the diff, the resolved arguments and the call's risk flags.
 *
 * Why resolve here: what a human approves must be what runs. The engine executes `resolved_arguments`, not the
 * model's relative ones, and re-runs this preview right before executing; the preview text is deterministic for
 * unchanged state, so a changed hash means the target moved and the call is refused.
 *
 * The call's name, arguments and result, and the `_meta` flag that advertises it, are the engine ↔ MCP contract
 * (@skyflo/protocol's mcp-wire.ts).
 */
import { z } from 'zod';
import { approvedAccessSchema, manifestObjectRefSchema, previewToolCallArgumentsShape, previewToolCallName, previewToolCallResultShape, riskFlagSchema, type ApprovedAccess, type ManifestObjectRef, type PreviewToolCallResult, type RiskFlag } from '@skyflo/protocol';
import { toolError } from '../../contract/errors.ts';
import { assessToolCallRisks, mergeRisks } from '@skyflo/safety';
import { assessControllerRisks, hasControllerCheck } from '../../risk/controller-risks.ts';
import { kubeClientsFor } from '../../kube/kube-clients.ts';
import { depsForContext } from '../../kube/context-deps.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { runTool, validateInput } from '../run-tool.ts';
import { defineTool, type AnyToolDefinition, type ToolCallResolution } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';

/** preview_tool_call accepts a tool that has a read-only preview tool or describes its own calls. */
export function isPreviewable(definition: AnyToolDefinition<ToolDeps>): boolean {
  return Boolean(definition.preview || definition.describeCall);
}

function risksOf(structured: Record<string, unknown> | undefined): RiskFlag[] {
  const parsed = z.array(riskFlagSchema).safeParse(structured?.['risks']);
  return parsed.success ? parsed.data : [];
}

/** At most this many flags are listed (a chart with hundreds of objects would otherwise fill the approval card). */
export const maxListedRisks = 25;

function capRisks(risks: RiskFlag[]): RiskFlag[] {
  if (risks.length <= maxListedRisks) return risks;
  const rest = risks.slice(maxListedRisks - 1);
  // risks are sorted most severe first, so the summary carries the highest severity among the ones left out
  return [...risks.slice(0, maxListedRisks - 1), { code: 'MORE_RISKS', severity: rest[0]!.severity, message: `${rest.length} more risk flag(s) not listed (${[...new Set(rest.map((risk) => risk.code))].join(', ')}).` }];
}

/** Who else manages the call's target (an HPA, Argo CD, Flux, an owner); a failed read adds nothing. */
async function controllerRisks(tool: string, args: Record<string, unknown>, deps: ToolDeps, signal?: AbortSignal): Promise<RiskFlag[]> {
  if (!hasControllerCheck(tool)) return [];
  try {
    return await assessControllerRisks(kubeClientsFor(deps.kubeConfig), tool, args, signal);
  } catch {
    return [];
  }
}

export function createPreviewToolCall(tools: AnyToolDefinition<ToolDeps>[]): AnyToolDefinition<ToolDeps> {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const previewable = tools.filter(isPreviewable).map((tool) => tool.name);
  return defineTool({
    name: previewToolCallName,
    title: 'Preview a tool call',
    description:
      `Show what a mutating tool call would change, without changing anything: validates the arguments against that tool's schema, makes relative arguments absolute (previous revision, latest chart version, lastBuild), pins Helm chart archives by sha-256, and runs its dry-run/diff preview. Returns a unified diff; the structured result carries resolved_arguments (what to execute), resolution notes, artifact_digest and risk flags. Tools with a preview: ${previewable.join(', ')}.`,
    inputSchema: previewToolCallArgumentsShape,
    outputSchema: withTextOutput(previewToolCallResultShape),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    async handler(input, deps: ToolDeps, context) {
      const target = byName.get(input.tool);
      if (!target) return toolError(`Unknown tool "${input.tool}".`, `name one of the tools with a preview: ${previewable.join(', ')}`, 'NOT_FOUND');
      if (!isPreviewable(target)) {
        return toolError(`${input.tool} has no preview.`, `only these tools can be previewed: ${previewable.join(', ')}`, 'UNSUPPORTED');
      }
      const previewTool = target.preview ? byName.get(target.preview.tool) : undefined;
      // The whole point of a preview is that it runs before approval, so it must never reach a tool that writes.
      if (target.preview && previewTool?.annotations.readOnlyHint !== true) {
        return toolError(`${input.tool}'s preview tool "${target.preview.tool}" is not a read-only tool, so it is not run.`, 'report this to the Skyflo operator', 'UNSUPPORTED');
      }
      const parsed = validateInput(target, input.arguments);
      if (!parsed.ok) return parsed.output;
      // The call's cluster (issue 22): an unknown one fails here, before anything is resolved or read. The target's
      // resolve, describeCall and preview tool take `context` themselves (tools/cluster-context.ts).
      const clusterDeps = depsForContext(deps, typeof parsed.data['context'] === 'string' ? parsed.data['context'] : undefined);

      const resolution: ToolCallResolution = target.resolve ? await target.resolve(parsed.data, deps, context) : { set: {}, notes: [] };
      // The caller's own arguments plus what was made absolute, without the schema's defaults: with nothing
      // to resolve this is exactly what the caller sent, and resolving it again changes nothing.
      const resolvedArguments: Record<string, unknown> = { ...input.arguments, ...resolution.set };
      const resolved = validateInput(target, resolvedArguments);
      if (!resolved.ok) {
        return toolError(`Resolving ${input.tool}'s arguments produced arguments its schema refuses: ${resolved.output.text}`, 'report this to the Skyflo operator', 'FAILED');
      }

      let text: string;
      let diff: string;
      let changed: boolean;
      let previewRisks: RiskFlag[] = [];
      let truncated = false;
      let manifestDigest: string | undefined;
      let objects: ManifestObjectRef[] | undefined;
      let access: ApprovedAccess[] | undefined;
      // issue 73: a Helm call's manifest, live manifest and storage plan, for the engine's own connection (uncut)
      let bound: Record<string, unknown> = {};
      if (target.preview && previewTool) {
        const output = await runTool(previewTool, target.preview.mapArguments(resolved.data), deps, context);
        if (output.isError) return { ...output, structured: { ...output.structured, tool: target.name, previewTool: previewTool.name } };
        text = output.text;
        diff = typeof output.structured?.['diff'] === 'string' ? output.structured['diff'] : '';
        changed = typeof output.structured?.['changed'] === 'boolean' ? output.structured['changed'] : diff !== '';
        previewRisks = risksOf(output.structured);
        truncated = output.structured?.['truncated'] === true;
        if (typeof output.structured?.['manifest_digest'] === 'string') manifestDigest = output.structured['manifest_digest'];
        const listed = z.array(manifestObjectRefSchema).safeParse(output.structured?.['objects']);
        if (listed.success) objects = listed.data;
        const granted = z.array(approvedAccessSchema).safeParse(output.structured?.['access']);
        if (granted.success) access = granted.data;
        if (context.trustedCaller) bound = Object.fromEntries(['manifest', 'live_manifest', 'helm_storage'].filter((key) => output.structured?.[key] !== undefined).map((key) => [key, output.structured![key]]));
      } else {
        const description = await target.describeCall!(resolved.data, deps, context);
        ({ text, diff, changed } = description);
        objects = description.objects;
        if (context.trustedCaller && description.bound) bound = description.bound;
      }
      const structured: Omit<PreviewToolCallResult, 'resolved_arguments'> = {
        tool: target.name,
        previewTool: previewTool?.name ?? target.name,
        resolution: resolution.notes,
        ...(resolution.artifactDigest ? { artifact_digest: resolution.artifactDigest } : {}),
        diff,
        changed,
        risks: capRisks(mergeRisks(assessToolCallRisks(target.name, resolved.data), previewRisks, await controllerRisks(target.name, resolved.data, clusterDeps, context.signal))),
        ...(truncated ? { truncated } : {}),
        ...(manifestDigest ? { manifest_digest: manifestDigest } : {}),
        ...(objects ? { objects } : {}),
      };
      // resolved_arguments and access are never cut by the output budget: they are what is executed and granted
      return { text, structured, verbatim: { resolved_arguments: resolvedArguments, ...(access ? { access } : {}), ...(Object.keys(bound).length ? { bound } : {}) } };
    },
  });
}
