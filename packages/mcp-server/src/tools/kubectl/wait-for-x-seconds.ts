import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { textOutputShape } from '../output-shapes.ts';

export const waitForXSeconds = defineTool({
  name: 'wait_for_x_seconds',
  title: 'Wait for Specified Duration',
  description: 'Wait a number of seconds (0-300), e.g. to let a rollout progress before checking again.',
  toolset: 'k8s',
  inputSchema: {
    seconds: z.number().int().min(0).max(300).describe('Seconds to wait (max 300)'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, _deps: ToolDeps, context) {
    try {
      await sleep(input.seconds * 1000, undefined, { signal: context.signal });
    } catch {
      return { text: `Wait cancelled before ${input.seconds} seconds passed.`, isError: true };
    }
    return { text: `Waited for ${input.seconds} seconds` };
  },
});
