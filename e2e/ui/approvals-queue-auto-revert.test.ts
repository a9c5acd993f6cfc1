/**
 * Issue 21 from the approvals queue, in real headless Chromium against a real engine (llm-sim as the model, kube-sim
 * as the cluster): a call waiting in Pending approvals that offers an undo shows "Approve with automatic revert" as
 * the chat's card does — the recorded inverse's summary and dry-run diff before the choice, unticked — and a call
 * without one does not. Ticked and approved from the queue, the decision is sent with auto_revert: true, the queue
 * says so, the engine records it (the audit's approval row, the conversation's tool card), and when the
 * crash-looping image regresses, the engine puts the old image back without a second approval.
 * Screenshot: packages/ui/docs/approvals-queue-auto-revert.png.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import type { Request } from 'playwright-core';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { artifactsDir, askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 300_000 });

let stack: UiStack;
const decisions: Array<{ path: string; body: Record<string, unknown> }> = [];
const recordDecision = (request: Request) => {
  const pathname = new URL(request.url()).pathname;
  if (request.method() === 'POST' && pathname.startsWith('/api/v1/agent/approvals/')) decisions.push({ path: decodeURIComponent(pathname), body: request.postDataJSON() as Record<string, unknown> });
};

beforeAll(async () => {
  stack = await startUiStack();
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-queue-revert-'));
  writeFileSync(
    path.join(dir, 'queue.yaml'),
    deploymentYaml('queue'),
  );
  await stack.kubectl('apply', '-f', path.join(dir, 'queue.yaml'));
  await stack.kubectl('rollout', 'status', 'deployment/queue', '--timeout=120s');
  await stack.kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
  await registerAndSignIn(stack);
  stack.page.on('request', recordDecision);
}, 240_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

/** The model loads the write tools and proposes `call`; once it reads the result it answers `afterwards`. */
const proposes = (call: { name: string; arguments: Record<string, unknown> }, afterwards: string) => ({
  rules: [
    { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { toolName: 'load_toolset' }, reply: { toolCalls: [call] } },
    { match: { toolName: call.name }, reply: afterwards },
  ],
});

/** Whether `value` or anything nested in it is an object for which `test` holds. */
function someObject(value: unknown, test: (object: Record<string, unknown>) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => someObject(item, test));
  if (!value || typeof value !== 'object') return false;
  const object = value as Record<string, unknown>;
  return test(object) || Object.values(object).some((item) => someObject(item, test));
}

const imageOf = () => stack.kubectl('get', 'deployment', 'queue', '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

describe('the approvals queue offers approve with automatic revert (issue 21)', () => {
  it('shown with the inverse and its diff only for a call that has one; approved from the queue, auto_revert is sent, recorded and acted on', async () => {
    const { page } = stack;
    // A pod owned by a ReplicaSet: deleting it records no inverse (its ReplicaSet replaces it), so no automatic revert.
    const pod = await stack.kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}');
    stack.llm.reset(proposes({ name: 'k8s_delete', arguments: { name: pod, resource_type: 'pod', namespace: 'default' } }, 'The pod was deleted.'));
    await askInChat(page, `Delete pod ${pod}`);
    await page.getByTestId('approval-card').waitFor();
    stack.llm.reset(proposes({ name: 'k8s_set_image', arguments: { resource_type: 'deployment', resource_name: 'queue', container_images: 'queue=crash:1.0', namespace: 'default', dry_run: false } }, 'queue was put back on nginx:1.27.'));
    const chatPath = await askInChat(page, 'Set queue to crash:1.0');
    await page.getByTestId('approval-card').waitFor();

    await page.goto('/approvals');
    const noUndo = page.getByTestId('pending-approval').filter({ hasText: 'k8s_delete' });
    const item = page.getByTestId('pending-approval').filter({ hasText: 'k8s_set_image' });
    await item.getByTestId('diff-view').first().waitFor();
    await noUndo.getByTestId('diff-view').first().waitFor();
    // the cluster and namespace the change will hit, in large type as on the chat's card
    expect(await item.getByTestId('approval-cluster-headline').textContent()).toBe('kube-sim · namespace default');
    // and again by the buttons, below the diff
    expect(await item.getByTestId('approval-target').textContent()).toBe('Deciding k8s_set_image on kube-sim · namespace default');
    // offered only where the engine recorded an inverse
    expect(await noUndo.getByTestId('auto-revert').count()).toBe(0);
    const option = item.getByTestId('auto-revert');
    // the inverse, before any choice: its summary and its own dry-run diff (the old image comes back)
    await option.getByTestId('auto-revert-summary').getByText(/nginx:1\.27/).waitFor();
    await option.getByTestId('inverse-diff-view').locator('[data-diff="add"]', { hasText: 'nginx:1.27' }).waitFor();
    const checkbox = option.getByTestId('auto-revert-checkbox');
    expect(await checkbox.isChecked()).toBe(false);
    await item.getByRole('button', { name: /^Approve k8s_set_image on .*queue$/ }).waitFor();

    await checkbox.check();
    const approve = item.getByRole('button', { name: /^Approve k8s_set_image .* with automatic revert$/ });
    expect(await approve.textContent()).toBe('Approve with automatic revert');
    expect(await stack.seriousA11yViolations()).toEqual([]);
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: size.width, height: 1800 });
    try {
      await item.scrollIntoViewIfNeeded();
      await item.screenshot({ path: path.join(repoRoot, 'packages', 'ui', 'docs', 'approvals-queue-auto-revert.png') });
    } finally {
      await page.setViewportSize(size);
    }

    await approve.click();
    const decided = page.getByTestId('decided-approval').filter({ hasText: 'k8s_set_image' });
    await decided.getByText(/Approved with automatic revert by you — the run continues in/).waitFor();
    await decided.getByTestId('decided-auto-revert').getByText(/runs k8s_set_image .*nginx:1\.27.* without asking again/).waitFor();
    expect(await decided.getByRole('link').getAttribute('href')).toBe(chatPath);
    await decided.screenshot({ path: path.join(artifactsDir, 'approvals-queue-auto-revert-decided.png') });
    // the page sent the choice with the decision, bound to what it showed
    const sent = decisions.filter((entry) => entry.body['approve'] === true);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ approve: true, auto_revert: true, conversation_id: chatPath.split('/').at(-1), args_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const callId = sent[0]!.path.split('/').at(-1)!;

    // the engine acted on it: the regressed image is put back without a second approval
    await expect.poll(imageOf, { timeout: 120_000 }).toBe('nginx:1.27');
    // and recorded it: the audit's approval row and the conversation's tool card say auto_revert
    await expect
      .poll(async () => {
        const audit = await page.request.get('/api/v1/audit?action=approval.approved');
        const rows = ((await audit.json()) as { data?: Array<{ subject_id?: string; details?: Record<string, unknown> }> }).data ?? [];
        return rows.find((row) => row.subject_id === callId)?.details?.['auto_revert'];
      })
      .toBe(true);
    const conversation = await page.request.get(`/api/v1/conversations/${chatPath.split('/').at(-1)}`);
    expect(someObject(await conversation.json(), (value) => value['call_id'] === callId && value['auto_revert'] === true)).toBe(true);
    // the conversation's card says how it was approved, and the revert's card that it is the automatic revert of it
    await page.goto(chatPath);
    await page.locator('[data-testid="tool-card"][data-tool="k8s_set_image"]').first().getByTestId('decided-auto-revert').waitFor();
    await page.locator('[data-testid="tool-card"]').filter({ has: page.getByTestId('automatic-revert-of') }).waitFor();
    // the pod delete was left alone, still waiting
    await page.goto('/approvals');
    await noUndo.waitFor();
    expect(await page.getByTestId('pending-approval').count()).toBe(1);
  });
});
