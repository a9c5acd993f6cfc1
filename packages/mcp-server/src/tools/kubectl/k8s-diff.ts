import { z } from 'zod';
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { cleanObject } from './format-object.ts';
import { normalizeForDiff } from './diff-normalize.ts';
import { REDACTED } from '@skyflo/safety';
import { restartRollout, rolloutResourceField, undoRollout } from './rollouts.ts';
import { applyManifest, deleteObject, patchObject, scaleObject, setImage, type MutationResult } from './mutations.ts';
import { withTextOutput } from '../output-shapes.ts';
import { approvedAccessSchema } from '@skyflo/protocol';

/** What a changed Secret value shows on the would-be side: redaction hides both values, this keeps the change visible. */
export const CHANGED_SECRET_VALUE = `${REDACTED} (changed)`;

/**
 * Keys of a Secret whose value differs between the live and would-be object. Why: both sides are redacted to
 * "[REDACTED]", so without this a Secret rotation diffs as "No changes" and the approver is told nothing moves.
 * Only key names are compared out, never values or hashes of them (a hash of a short password is guessable).
 */
function changedSecretKeys(before: Record<string, any> | undefined, after: Record<string, any> | undefined): Set<string> {
  const changed = new Set<string>();
  if (before?.kind !== 'Secret' || after?.kind !== 'Secret') return changed;
  for (const field of ['data', 'stringData']) {
    const old = before[field] ?? {};
    for (const [key, value] of Object.entries((after[field] ?? {}) as Record<string, unknown>)) {
      if (key in old && old[key] !== value) changed.add(key);
    }
  }
  return changed;
}

/** One side of the diff: redacted, Secret rotations kept visible, then normalised (fields that change on every write would drown the real change). */
function forDiff(object: Record<string, any> | undefined, changedKeys: Set<string> = new Set()): string {
  if (!object) return '';
  const cleaned = cleanObject(object);
  for (const field of ['data', 'stringData']) {
    const values = cleaned[field];
    if (!values || typeof values !== 'object') continue;
    cleaned[field] = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, changedKeys.has(key) ? CHANGED_SECRET_VALUE : value]));
  }
  // both sides normalised alike: server-managed noise dropped, keys sorted (diff-normalize.ts, issue 37 item 8)
  return stringify(normalizeForDiff(cleaned), { lineWidth: 0 });
}

export function renderDiff(result: MutationResult): string {
  const parts: string[] = [];
  for (const [index, before] of result.before.entries()) {
    const after = result.after[index];
    const patch = createTwoFilesPatch(`live/${before.key}`, `would-be/${before.key}`, forDiff(before.object), forDiff(after?.object, changedSecretKeys(before.object, after?.object)), undefined, undefined, { context: 3 });
    // createTwoFilesPatch always emits the header; without hunks there is no change.
    if (patch.includes('\n@@')) parts.push(patch.replace(/^=+\n/m, '').trimEnd());
  }
  return parts.join('\n');
}

export const k8sDiff = defineTool({
  name: 'k8s_diff',
  title: 'Preview a Kubernetes Change',
  description:
    'Show what a change would do before it is made: runs the operation as a server-side dry run (dryRun=All, so admission and defaulting apply) and returns a unified diff of the live object vs the would-be object. Nothing is changed.',
  toolset: 'k8s',
  tags: ['diff'],
  inputSchema: {
    operation: z.enum(['apply', 'patch', 'scale', 'set_image', 'delete', 'rollout_undo', 'rollout_restart']).describe('Which change to preview'),
    content: z.string().optional().describe('apply: the YAML manifest'),
    name: z.string().optional().describe('patch/scale/set_image/delete/rollout_undo/rollout_restart: name of the object'),
    resource_type: z.string().optional().describe('patch/scale/set_image/delete/rollout_undo/rollout_restart: resource type, e.g. deployment'),
    namespace: z.string().optional().describe('Namespace (default "default")'),
    patch: z.string().optional().describe('patch: the patch document (JSON or YAML)'),
    patch_type: z.enum(['strategic', 'merge', 'json']).optional().describe('patch: strategic (default), merge or json'),
    replicas: z.number().int().min(0).optional().describe('scale: target replica count'),
    container_images: z.string().optional().describe("set_image: 'container1=image1,container2=image2'"),
    to_revision: z.number().int().min(1).optional().describe('rollout_undo: revision to return to (default: the previous one)'),
  },
  outputSchema: withTextOutput({ diff: z.string().optional().describe("Unified diff of live vs would-be state ('' when nothing changes)"), changed: z.boolean().optional().describe('Whether the change would alter anything'), objects: z.array(z.string()).optional().describe('The objects the diff covers (kind/namespace/name)'), access: z.array(approvedAccessSchema).optional().describe('The objects the change writes, its verbs and the normalised dry-run content hash (for approvals the cluster enforces)') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    const options = { dryRun: true, signal: context.signal };
    const need = <T>(value: T | undefined, field: string): T => {
      if (value === undefined || value === '') throw new ToolInputError(`operation "${input.operation}" needs ${field}.`, { hint: `pass ${field}` });
      return value;
    };
    let result: MutationResult;
    switch (input.operation) {
      case 'apply':
        result = await applyManifest(deps, { content: need(input.content, 'content'), namespace: input.namespace }, options);
        break;
      case 'patch':
        result = await patchObject(deps, { name: need(input.name, 'name'), resource_type: need(input.resource_type, 'resource_type'), patch: need(input.patch, 'patch'), patch_type: input.patch_type, namespace: input.namespace }, options);
        break;
      case 'scale':
        result = await scaleObject(deps, { name: need(input.name, 'name'), resource_type: need(input.resource_type, 'resource_type'), replicas: need(input.replicas, 'replicas'), namespace: input.namespace }, options);
        break;
      case 'set_image':
        result = await setImage(deps, { resource_name: need(input.name, 'name'), resource_type: need(input.resource_type, 'resource_type'), container_images: need(input.container_images, 'container_images'), namespace: input.namespace }, options);
        break;
      case 'rollout_undo': {
        const kind = rolloutResourceField.safeParse(need(input.resource_type, 'resource_type'));
        if (!kind.success) throw new ToolInputError(`rollout_undo needs resource_type deployment, daemonset or statefulset, not "${input.resource_type}".`, { hint: 'pass resource_type "deployment"' });
        result = await undoRollout(deps, { name: need(input.name, 'name'), resource_type: kind.data, namespace: input.namespace, to_revision: input.to_revision }, options);
        break;
      }
      case 'rollout_restart': {
        const kind = rolloutResourceField.safeParse(need(input.resource_type, 'resource_type'));
        if (!kind.success) throw new ToolInputError(`rollout_restart needs resource_type deployment, daemonset or statefulset, not "${input.resource_type}".`, { hint: 'pass resource_type "deployment"' });
        result = await restartRollout(deps, { name: need(input.name, 'name'), resource_type: kind.data, namespace: input.namespace }, options);
        break;
      }
      case 'delete':
        result = await deleteObject(deps, { name: need(input.name, 'name'), resource_type: need(input.resource_type, 'resource_type'), namespace: input.namespace }, options);
        break;
    }
    const diff = renderDiff(result);
    return {
      text: diff ? `${result.summary}\n\n${diff}` : `${result.summary}\n\nNo changes: the live state already matches.`,
      // access: what an approval the cluster enforces grants (issue 34); a result too large for the output budget loses
      // it, and such an approval is then refused (preview_tool_call passes it on uncut)
      structured: { diff, changed: diff.length > 0, objects: result.before.map((entry) => entry.key), ...(result.access ? { access: result.access } : {}) },
    };
  },
});
