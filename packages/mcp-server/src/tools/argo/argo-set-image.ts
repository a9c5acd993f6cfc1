import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeArgument } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { argoNamespaceField, rolloutNameField } from './argo-inputs.ts';
import { getRollout, replaceRollout, validateRef } from './rollout-api.ts';
import { textOutputShape } from '../output-shapes.ts';

export const argoSetImage = defineTool({
  name: 'argo_set_image',
  title: 'Set Argo Rollout Image',
  description: 'Change a container image in an Argo Rollout pod template, which starts a new canary/blue-green update.',
  toolset: 'argo',
  inputSchema: {
    name: rolloutNameField,
    image: z.string().min(1).max(512).describe('New image reference, e.g. "nginx:1.27" or "registry/app@sha256:…"'),
    namespace: argoNamespaceField,
    container_name: z.string().min(1).max(63).optional().describe('Container to update ("*" for all); may be omitted when the pod has a single container'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const ref = validateRef(input);
    assertSafeArgument('image', input.image);
    if (/\s/.test(input.image)) throw new ToolInputError(`Invalid image ${JSON.stringify(input.image)}: images contain no spaces.`);
    if (input.container_name && input.container_name !== '*') assertSafeArgument('container_name', input.container_name);
    const rollout = await getRollout(deps, ref, context.signal);
    const podSpec = rollout.spec?.template?.spec ?? {};
    const groups = ['initContainers', 'containers', 'ephemeralContainers'] as const;
    const all = groups.flatMap((group) => ((podSpec[group] ?? []) as Array<{ name: string }>).map((container) => container.name));
    let target = input.container_name;
    if (!target) {
      const main = (podSpec.containers ?? []) as Array<{ name: string }>;
      if (main.length !== 1) {
        throw new ToolInputError(`Rollout ${ref.name} has ${main.length} containers (${main.map((container) => container.name).join(', ')}); say which one.`, {
          hint: 'pass container_name, or "*" for all containers',
        });
      }
      target = main[0].name;
    }
    const changed: string[] = [];
    for (const group of groups) {
      for (const container of (podSpec[group] ?? []) as Array<{ name: string; image?: string }>) {
        if (target === '*' || container.name === target) {
          container.image = input.image;
          changed.push(container.name);
        }
      }
    }
    if (changed.length === 0) {
      throw new ToolInputError(`Rollout ${ref.name} has no container named "${target}".`, { hint: `use one of: ${all.join(', ')}`, code: 'NOT_FOUND' });
    }
    await replaceRollout(deps, rollout, context.signal);
    return { text: `rollout '${ref.name}' image updated (${changed.join(', ')} → ${input.image})` };
  },
});
