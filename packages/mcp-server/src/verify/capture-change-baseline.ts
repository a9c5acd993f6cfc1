/**
 * capture_change_baseline: an internal, read-only tool the engine calls right before an approved mutating call runs
 * (issue 21). It records the before-state of what the call will change and proposes the inverse call that restores it
 * (scale back, set the old images, apply the old manifest, helm rollback / argo undo to the recorded revision…), or
 * says why the call cannot be undone. No toolset tag, so the engine never shows it to the model.
 *
 * `before` and the inverse's arguments must restore exactly what was there, Secrets included, so for the engine's own
 * connection (a trusted caller) they travel unredacted; the engine seals them at rest. Any other caller gets them
 * redacted like every tool output. The inverse's `summary` names objects and counts, never values.
 */
import { z } from 'zod';
import type { ToolDeps } from '../deps/deps.ts';
import { validateInput } from '../tools/run-tool.ts';
import { defineTool, type AnyToolDefinition, type ToolOutput } from '../contract/tool-definition.ts';
import { withTextOutput } from '../tools/output-shapes.ts';
import { jsonObject } from '../tools/schema-objects.ts';
import { baselineK8s, notUndoable, type Baseline } from './baseline-k8s.ts';
import { baselineRelease } from './baseline-release.ts';
import { contextDeps } from './cluster-context.ts';

export const captureChangeBaselineName = 'capture_change_baseline';

export const captureChangeBaselineResultShape = withTextOutput({
  undoable: z.boolean().describe('Whether one call can put back what this call changes'),
  reason: z.string().optional().describe('Why it cannot be undone (or what to know about the inverse)'),
  before: jsonObject().optional().describe('Opaque before-state (live manifests, replicas, images, revisions); unredacted for the engine, which seals it'),
  inverse: z
    .object({ tool: z.string(), args: jsonObject(), summary: z.string() })
    .optional()
    .describe('The call that restores the before-state; summary is one line without secret values'),
});

export function createCaptureChangeBaseline(tools: AnyToolDefinition<ToolDeps>[]): AnyToolDefinition<ToolDeps> {
  return defineTool({
    name: captureChangeBaselineName,
    title: 'Capture a Change Baseline',
    description:
      'Internal (used by the Skyflo engine before an approved change runs): records the before-state of what a mutating call will change and the inverse call that would restore it.',
    inputSchema: {
      tool: z.string().min(1).max(128).describe('The mutating tool about to run'),
      args: jsonObject().describe('The exact arguments it will run with'),
    },
    outputSchema: captureChangeBaselineResultShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    async handler(input, deps: ToolDeps, context): Promise<ToolOutput> {
      const target = tools.find((candidate) => candidate.name === input.tool);
      let baseline: Baseline | undefined;
      if (!target) baseline = notUndoable(`${input.tool} is not a tool of this server`);
      else if (target.annotations.readOnlyHint) baseline = notUndoable(`${input.tool} changes nothing`);
      else {
        const parsed = validateInput(target, input.args);
        if (!parsed.ok) return parsed.output;
        const cluster = contextDeps(deps, (input.args as Record<string, unknown>).context);
        const args = { ...parsed.data, ...(typeof input.args.context === 'string' ? { context: input.args.context } : {}) };
        baseline = (await baselineK8s(input.tool, args, cluster, context.signal)) ?? (await baselineRelease(input.tool, args, cluster, context.signal));
        baseline ??= notUndoable(`no inverse is known for ${input.tool}`);
      }
      const before = baseline.before ? { captured_at: Date.now(), ...baseline.before } : undefined;
      const text = baseline.undoable && baseline.inverse ? `undoable: ${baseline.inverse.summary} (${baseline.inverse.tool})` : `not undoable: ${baseline.reason ?? 'unknown'}`;
      const summary = { undoable: baseline.undoable, ...(baseline.reason ? { reason: baseline.reason } : {}) };
      const restoring = { ...(before ? { before } : {}), ...(baseline.inverse ? { inverse: baseline.inverse } : {}) };
      // verbatim skips redaction and budgets: only the engine's own connection may have the values that restore a Secret.
      return context.trustedCaller ? { text, structured: summary, verbatim: restoring } : { text, structured: { ...summary, ...restoring } };
    },
  });
}
