import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { assertSafeName, clients, namespaceField, namespaceOf } from './kubectl-common.ts';
import { rolloutResourceField, rolloutState, workloadPath } from './rollouts.ts';
import { withTextOutput } from '../output-shapes.ts';

export const k8sRolloutStatus = defineTool({
  name: 'k8s_rollout_status',
  title: 'Check Kubernetes Rollout Status',
  description: 'Wait for a deployment (or daemonset/statefulset) rollout to finish, like `kubectl rollout status`, up to timeout_seconds; reports progress if it is still running.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().min(1).describe('Name of the deployment'),
    namespace: namespaceField,
    resource_type: rolloutResourceField.optional().default('deployment'),
    timeout_seconds: z.number().int().min(0).max(600).optional().default(60).describe('How long to wait for the rollout to finish (0 = just report the current state)'),
  },
  outputSchema: withTextOutput({ done: z.boolean().optional().describe('The rollout finished') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    const { http } = clients(deps);
    const deadline = Date.now() + input.timeout_seconds * 1000;
    const seen: string[] = [];
    for (;;) {
      const object = await http.json<any>({ path: workloadPath(input.resource_type, namespace, input.name), signal: context.signal });
      const state = rolloutState(input.resource_type, object);
      if (seen.at(-1) !== state.message) {
        seen.push(state.message);
        await context.reportProgress?.(seen.length, undefined, state.message).catch(() => undefined);
      }
      if (state.done) return { text: seen.join('\n'), structured: { done: true } };
      if (Date.now() >= deadline || context.signal.aborted) {
        return {
          text: `${seen.join('\n')}\nRollout still in progress after ${input.timeout_seconds}s.`,
          structured: { done: false },
        };
      }
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
  },
});
