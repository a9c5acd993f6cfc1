/**
 * verify_change: an internal, read-only tool the engine calls after an approved mutating call ran (issue 21). It
 * watches what the call changed and answers verified | regressed | reverted_by_controller | timed_out |
 * not_applicable with a one-line summary and the evidence (the reads it made, redacted like every tool output).
 * No toolset tag, so the engine never shows it to the model.
 */
import { z } from 'zod';
import { redactText } from '@skyflo/safety';
import { finalVerificationOutcomes, type VerificationEvidence } from '@skyflo/protocol';
import { KubeApiError } from '../kube/kube-api-error.ts';
import type { ToolDeps } from '../deps/deps.ts';
import { validateInput } from '../tools/run-tool.ts';
import { defineTool, type AnyToolDefinition } from '../contract/tool-definition.ts';
import { withTextOutput } from '../tools/output-shapes.ts';
import { jsonObject } from '../tools/schema-objects.ts';
import type { Verdict } from './check-types.ts';
import { contextDeps } from './cluster-context.ts';
import { planVerification } from './plan-verification.ts';
import { runVerification } from './run-verification.ts';
import { createWatchSession } from './watch-session.ts';
import { verifyJenkinsCall } from './jenkins-check.ts';

export const verifyChangeName = 'verify_change';

const evidenceShape = z.object({ read: z.string(), text: z.string() });

export const verifyChangeResultShape = withTextOutput({
  outcome: z.enum(finalVerificationOutcomes).describe('verified | regressed | reverted_by_controller | timed_out | not_applicable'),
  summary: z.string().describe('One line: what the verification saw'),
  evidence: z.array(evidenceShape).describe('The reads it made and what they showed (redacted)'),
  controller: z.string().optional().describe('reverted_by_controller: who set the change back, e.g. "HorizontalPodAutoscaler shop/web"'),
});

/** Default hold window after success: long enough for a controller reacting to the change to be seen. */
export const defaultHoldSeconds = 5;

function render(verdict: Verdict): string {
  const lines = [`${verdict.outcome}: ${verdict.summary}`];
  for (const entry of verdict.evidence) lines.push('', `# ${entry.read}`, entry.text);
  return lines.join('\n');
}

function redacted(verdict: Verdict): Verdict {
  const evidence: VerificationEvidence[] = verdict.evidence.map((entry) => ({ read: redactText(entry.read), text: redactText(entry.text) }));
  return { ...verdict, summary: redactText(verdict.summary), evidence, ...(verdict.controller ? { controller: redactText(verdict.controller) } : {}) };
}

export function createVerifyChange(tools: AnyToolDefinition<ToolDeps>[]): AnyToolDefinition<ToolDeps> {
  return defineTool({
    name: verifyChangeName,
    title: 'Verify an Executed Change',
    description:
      'Internal (used by the Skyflo engine after an approved change ran): watches what the call changed until its rollout is done, its new pods fail, a controller sets it back, or the deadline passes.',
    inputSchema: {
      tool: z.string().min(1).max(128).describe('The mutating tool that ran'),
      args: jsonObject().describe('The exact arguments it ran with'),
      before: jsonObject().optional().describe("capture_change_baseline's `before` for this call, when recorded"),
      timeout_seconds: z.number().int().min(1).max(1800).default(120).describe('Upper bound on the wait; the objects\' own progress deadlines may end it sooner (default 120)'),
      hold_seconds: z.number().min(0).max(300).default(defaultHoldSeconds).describe('After success, keep watching this long so a controller that sets the change back is caught (default 5)'),
      result: jsonObject().optional().describe("The call's own result, when what to follow is only known from it (Jenkins: the build it started, {buildNumber, queueId, url})"),
    },
    outputSchema: verifyChangeResultShape,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    async handler(input, deps: ToolDeps, context) {
      const finish = (verdict: Verdict) => {
        const safe = redacted(verdict);
        return { text: render(safe), structured: { outcome: safe.outcome, summary: safe.summary, evidence: safe.evidence, ...(safe.controller ? { controller: safe.controller } : {}) } };
      };
      const target = tools.find((candidate) => candidate.name === input.tool);
      if (!target) return finish({ outcome: 'not_applicable', summary: `no verification is known for ${input.tool}`, evidence: [] });
      if (target.annotations.readOnlyHint) return finish({ outcome: 'not_applicable', summary: `${input.tool} changes nothing`, evidence: [] });
      let progress = 0;
      const parsed = validateInput(target, input.args);
      if (!parsed.ok) return { ...parsed.output };
      const args = parsed.data;
      const report = context.reportProgress
        ? (message: string) => void context.reportProgress!(++progress, undefined, redactText(message)).catch(() => undefined)
        : undefined;
      if (input.tool.startsWith('jenkins_')) {
        return finish(await verifyJenkinsCall({ tool: input.tool, args, ...(input.result ? { result: input.result } : {}), deps, context, deadline: Date.now() + input.timeout_seconds * 1000, ...(report ? { progress: report } : {}) }));
      }
      const cluster = contextDeps(deps, (input.args as Record<string, unknown>).context);
      const capturedAt = Number(input.before?.captured_at);
      // Warning events older than the change are not news (a little slack for clock skew between us and the API server).
      const changedAt = Number.isFinite(capturedAt) && capturedAt > 0 ? capturedAt : Date.now() - 30_000;
      const session = createWatchSession({ kubeConfig: cluster.deps.kubeConfig, signal: context.signal });
      try {
        const plan = await planVerification({ tool: input.tool, args, context: cluster, changedAt, before: input.before as Record<string, any> | undefined });
        if ('notApplicable' in plan) return finish({ outcome: 'not_applicable', summary: plan.notApplicable, evidence: [] });
        const verdict = await runVerification({ checks: plan.checks, session, timeoutSeconds: input.timeout_seconds, holdSeconds: input.hold_seconds, signal: context.signal, progress: report });
        return finish(verdict);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) {
          return finish({ outcome: 'regressed', summary: `what the call changed no longer exists: ${error.message}`, evidence: [{ read: 'get', text: error.message }] });
        }
        throw error;
      } finally {
        session.close();
      }
    },
  });
}
