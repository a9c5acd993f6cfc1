/**
 * Issue 37 item 8 in real headless Chromium against a real engine (llm-sim as the model, kube-sim as the cluster):
 * diffs that read right the first time. A long line (a long image reference) wraps inside the card instead of being
 * cut at its edge, and the inverse diff under "Approve with automatic revert" carries the inverse's own header (not
 * the forward change's summary) and lists its removed line before its added one. A call whose dry-run preview failed
 * is approved from its card only with "Approve without a preview" ticked, and the decision says so.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 300_000 });

let stack: UiStack;
const longImage = `registry.example.com/${'platform-team/'.repeat(12)}queue-worker:1.0.0-build.4711`;

beforeAll(async () => {
  stack = await startUiStack();
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-diffs-'));
  writeFileSync(
    path.join(dir, 'queue.yaml'),
    deploymentYaml('queue', 1),
  );
  await stack.kubectl('apply', '-f', path.join(dir, 'queue.yaml'));
  await registerAndSignIn(stack);
}, 240_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('approval card diffs (issue 37 item 8)', () => {
  it('wraps a long line inside the card, and the inverse diff has its own header with − before +', async () => {
    const { page } = stack;
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_set_image', arguments: { resource_type: 'deployment', resource_name: 'queue', container_images: `queue=${longImage}`, namespace: 'default', dry_run: false } }] } },
      ],
    });
    await askInChat(page, 'Move queue to the long image');
    const card = page.getByTestId('approval-card');
    const diff = card.getByTestId('diff-view');
    const added = diff.locator('[data-diff="add"]', { hasText: 'queue-worker:1.0.0-build.4711' });
    await added.waitFor();
    // the whole line is inside the diff's box: nothing runs past the card's edge or hides behind a scrollbar
    const layout = await diff.evaluate((figure) => {
      const pre = figure.querySelector('pre')!;
      const line = Array.from(figure.querySelectorAll('[data-diff="add"]')).find((element) => element.textContent?.includes('queue-worker'))!;
      const box = figure.getBoundingClientRect();
      const lineBox = line.getBoundingClientRect();
      return { preOverflow: pre.scrollWidth - pre.clientWidth, lineOverflow: line.scrollWidth - line.clientWidth, right: lineBox.right - box.right, lineHeight: lineBox.height };
    });
    expect(layout.preOverflow).toBeLessThanOrEqual(1);
    expect(layout.lineOverflow).toBeLessThanOrEqual(1);
    expect(layout.right).toBeLessThanOrEqual(1);
    // it wrapped: more than one text row (leading-5 = 20 px a row)
    expect(layout.lineHeight).toBeGreaterThan(30);

    const inverse = card.getByTestId('inverse-diff-view');
    await inverse.locator('[data-diff="add"]', { hasText: 'nginx:1.27' }).waitFor();
    const kinds = await inverse.locator('[data-diff]').evaluateAll((lines) => lines.map((line) => [line.getAttribute('data-diff'), line.textContent ?? '']));
    const text = kinds.map(([, line]) => line).join('\n');
    // the forward change's header ("… image updated (server dry run)") is not the inverse's
    expect(text).not.toMatch(/image updated/);
    const firstRemoved = kinds.findIndex(([kind]) => kind === 'del');
    const firstAdded = kinds.findIndex(([kind]) => kind === 'add');
    expect(firstRemoved).toBeGreaterThanOrEqual(0);
    expect(firstRemoved).toBeLessThan(firstAdded);
    expect(kinds[firstRemoved]![1]).toContain('queue-worker');
    expect(kinds[firstAdded]![1]).toContain('nginx:1.27');
  });

  it('a failed preview: Approve waits for "Approve without a preview", and the decision sent says so (audited)', async () => {
    const { page } = stack;
    // the container_images value names no container of web (a colon for the equals sign): the server dry-run fails
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_blind', name: 'k8s_set_image', arguments: { resource_type: 'deployment', resource_name: 'queue', container_images: 'queue:nginx:1.28', namespace: 'default', dry_run: false } }] } },
        { match: { toolName: 'k8s_set_image' }, reply: 'Tried it.' },
      ],
    });
    await askInChat(page, 'Move queue to nginx 1.28');
    const card = page.getByTestId('approval-card');
    await card.getByText('No dry-run preview:').waitFor();
    await card.getByTestId('approval-hint').getByText('The dry-run preview failed: tick "Approve without a preview" to approve, or deny.').waitFor({ timeout: 60_000 });
    const approve = card.getByRole('button', { name: /^Approve/ });
    expect(await approve.isDisabled()).toBe(true);

    const decisions: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/agent/approvals/call_blind')) decisions.push(request.postDataJSON());
    });
    await card.getByRole('checkbox', { name: /Approve without a preview/ }).check();
    await approve.click();
    // the decision reached the engine (the card gives way) carrying the acknowledgement, and no refusal is shown
    await expect.poll(() => card.count(), { timeout: 60_000 }).toBe(0);
    expect(decisions).toEqual([expect.objectContaining({ approve: true, approve_without_preview: true })]);
    expect(await page.getByText('approve it on its card, with "approve without a preview" ticked').count()).toBe(0);
    const audit = (await (await page.request.get('/api/v1/audit?action=approval.approved')).json()) as { data: Array<{ subject_id: string; details: Record<string, unknown> }> };
    expect(audit.data.find((row) => row.subject_id === 'call_blind')?.details).toMatchObject({ approved_without_preview: true });
  });
});
