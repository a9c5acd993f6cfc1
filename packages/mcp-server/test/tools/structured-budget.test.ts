/**
 * Budgets and structured errors on the machine-readable path too: a k8s_diff of a large manifest keeps its
 * structuredContent (diff and text together) within the byte budget, and a failure that a handler reported as plain text
 * still carries a structured error code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { budgetStructured } from '../../src/budgets/budget-structured.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const BUDGET = 4096;

beforeAll(async () => {
  harness = await startKubeHarness();
});
afterAll(() => harness?.close());

describe('structured results within the budget', () => {
  it('a diff of a large manifest, over MCP', async () => {
    const data = Object.fromEntries(Array.from({ length: 400 }, (_, index) => [`key-${index}`, `value number ${index} of a large config map`]));
    const content = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'default' }, data });
    const { client, close } = await connectInProcess({ deps: harness.depsWith({ outputBudgetBytes: BUDGET }) });
    try {
      const result = await client.callTool({ name: 'k8s_diff', arguments: { operation: 'apply', content } });
      expect(result.isError).toBeFalsy();
      const text = (result.content as Array<{ text: string }>)[0]!.text;
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(BUDGET);
      const structured = result.structuredContent as Record<string, unknown>;
      expect(Buffer.byteLength(JSON.stringify(structured))).toBeLessThanOrEqual(BUDGET);
      expect(structured).toMatchObject({ changed: true, truncated: true });
      expect(String(structured['diff'])).toMatch(/^\+\s+key-0: value number 0 of a large config map$/m);
      expect(String(structured['diff'])).toMatch(/\[output cut: showing the first \d+ of \d+ lines/);
    } finally {
      await close();
    }
  });

  it('keeps small results untouched and drops what cannot be cut', () => {
    expect(budgetStructured({ changed: false, diff: '' }, BUDGET)).toEqual({ changed: false, diff: '' });
    const huge = { objects: Array.from({ length: 2000 }, (_, index) => `configmap/default/cm-${index}`), error: { code: 'FAILED' } };
    expect(budgetStructured(huge, BUDGET)).toEqual({ truncated: true, error: { code: 'FAILED' } });
  });
});

describe('structured errors', () => {
  it('a cancelled wait reports a structured error code', async () => {
    const controller = new AbortController();
    const waiting = runTool(allTools.find((tool) => tool.name === 'wait_for_x_seconds')!, { seconds: 30 }, harness.deps, { signal: controller.signal });
    controller.abort();
    const result = await waiting;
    expect(result).toMatchObject({ isError: true, text: 'Wait cancelled before 30 seconds passed.', structured: { error: { code: 'FAILED', message: 'Wait cancelled before 30 seconds passed.' } } });
  });
});
