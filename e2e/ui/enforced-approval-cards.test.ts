/**
 * Issue 73 item 6 in real headless Chromium against a real engine that enforces approvals on its cluster
 * (SKYFLO_APPROVAL_ENFORCEMENT=cluster; llm-sim as the model, kube-sim as the cluster). The cluster's executor is down
 * (its address answers nothing): every approved call ends NOT_EXECUTED, as the engine refuses to run a change the
 * cluster has not minted a credential for.
 *
 * - A call whose dry-run preview failed can never run on such a cluster: its card and the queue say so and why, offer
 *   no "Approve without a preview" and no Approve, and keep Deny, which clears it.
 * - A call that ended Failed shows its reason on the card itself (no click), whole and wrapped on a phone.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { phoneProblems } from './phone-checks.ts';
import { approveOnCard, artifactsDir, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 300_000 });

let stack: UiStack;
const contexts: BrowserContext[] = [];
const phone = { width: 390, height: 844 };

/** A local address nothing listens on: the executor is down. */
async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** phone-checks.ts's problems within `selector`, but text drawn under the chat's sticky parts (scrolled past, it is read once scrolled back) */
async function readingProblems(page: Page, selector: string): Promise<string[]> {
  return (await phoneProblems(page, selector)).filter((problem) => !/ is drawn under <(div|textarea)> "(Deciding|[\d,]+ tokens in this conversation|Message)/.test(problem));
}

async function phonePage(): Promise<Page> {
  const context = await stack.browser.newContext({ baseURL: stack.url, viewport: phone, isMobile: true, hasTouch: true, colorScheme: 'light', storageState: await stack.context.storageState() });
  context.setDefaultTimeout(90_000);
  contexts.push(context);
  return context.newPage();
}

beforeAll(async () => {
  const signingKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  stack = await startUiStack({
    env: { SKYFLO_APPROVAL_ENFORCEMENT: 'cluster', SKYFLO_EXECUTOR_URL: await closedAddress(), SKYFLO_EXECUTOR_TOKEN: 'ui-test-executor-token', SKYFLO_APPROVAL_SIGNING_KEY: signingKey },
  });
  await registerAndSignIn(stack);
}, 240_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await stack?.close();
}, 180_000);

describe('approval cards on a cluster that enforces approvals (issue 73 item 6)', () => {
  it('a call whose preview failed: the card and the queue say why it cannot be approved, offer no "Approve without a preview", and Deny clears it', async () => {
    const { page } = stack;
    // the container_images value names no container of web (a colon for the equals sign): the server dry-run fails
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_unpreviewable', name: 'k8s_set_image', arguments: { resource_type: 'deployment', resource_name: 'web', container_images: 'web:nginx:1.28', namespace: 'default', dry_run: false } }] } },
        { match: { toolName: 'k8s_set_image' }, reply: 'Left it as it was.' },
      ],
    });
    const conversation = await askInChat(page, 'Move web to nginx 1.28');
    const card = page.getByTestId('approval-card');
    await card.getByTestId('preview-error').waitFor();
    // the risk says why and what to do; by Deny, the card says it cannot be approved
    await card.getByRole('list', { name: 'Risks' }).getByText(/Cluster \S+ enforces approvals: .*cannot be approved there, not even without a preview\. Fix the cause shown .* or deny it\./).waitFor();
    const notApprovable = card.getByTestId('approval-not-approvable');
    await notApprovable.getByText('Cannot be approved').waitFor({ timeout: 60_000 });
    expect(await notApprovable.textContent()).toContain('Nobody can approve this call on this cluster: read PREVIEW_REQUIRED above.');
    expect(await card.getByRole('checkbox', { name: /Approve without a preview/ }).count()).toBe(0);
    expect(await card.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await card.getByRole('button', { name: /^Deny/ }).waitFor();
    await stack.screenshot('enforced-unpreviewable-card');

    // on a phone: the whole card reads, nothing sticks out, the error and the reason wrap
    const phonePageForCard = await phonePage();
    await phonePageForCard.goto(conversation);
    const phoneCard = phonePageForCard.getByTestId('approval-card');
    await phoneCard.getByTestId('approval-not-approvable').getByText('Cannot be approved').waitFor();
    // (text the card's sticky footer or the composer covers while scrolled past is not a problem: it scrolls into view)
    expect(await readingProblems(phonePageForCard, '[data-testid="approval-card"]')).toEqual([]);
    await phoneCard.getByTestId('preview-error').scrollIntoViewIfNeeded();
    await phonePageForCard.screenshot({ path: path.join(artifactsDir, 'enforced-unpreviewable-card-phone.png') });

    // the queue: the same, with the engine's reason for the approval it refuses
    await page.goto('/approvals');
    const item = page.getByTestId('pending-approval').filter({ hasText: 'k8s_set_image' });
    await item.getByTestId('cannot-approve').getByText('Nobody can approve this call on this cluster: read PREVIEW_REQUIRED above.', { exact: false }).waitFor();
    await item.getByText('Cannot be approved').first().waitFor();
    expect(await item.getByRole('checkbox', { name: /Approve without a preview/ }).count()).toBe(0);
    expect(await item.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    // the engine refuses an approval "without a preview" anyway (409 PREVIEW_REQUIRED), in the queue's words
    const listed = (await (await page.request.get('/api/v1/approvals/pending')).json()) as { data: Array<{ call_id: string; can_decide: boolean; can_deny: boolean; cannot_decide_reason: string; conversation_id: string; args_hash: string }> };
    const entry = listed.data.find((candidate) => candidate.call_id === 'call_unpreviewable')!;
    expect(entry).toMatchObject({ can_decide: false, can_deny: true });
    const forced = await page.request.post('/api/v1/agent/approvals/call_unpreviewable', { data: { approve: true, conversation_id: entry.conversation_id, args_hash: entry.args_hash, approve_without_preview: true } });
    expect(forced.status()).toBe(409);
    expect(await forced.json()).toMatchObject({ code: 'PREVIEW_REQUIRED', detail: entry.cannot_decide_reason });
    await page.screenshot({ path: path.join(artifactsDir, 'enforced-unpreviewable-queue.png') });

    // Deny clears it from the queue, and the model is told
    await item.getByRole('button', { name: /^Deny/ }).click();
    await page.getByTestId('decided-approval').getByText(/Denied by you/).waitFor();
    await page.goto(conversation);
    await page.locator('[data-testid="tool-card"][data-tool="k8s_set_image"][data-status="denied"]').waitFor();
    expect(await stack.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');
  });

  it('a call that failed (NOT_EXECUTED: the executor is down) shows why on its card without a click, wrapped on a phone', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(3, 'It did not run.'));
    const conversation = await askInChat(page, 'Scale web to 3');
    await approveOnCard(page.getByTestId('approval-card'));
    const failed = page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="error"]');
    await failed.waitFor();
    // the reason is on the card, not behind its toggle (which stays closed)
    const reason = failed.getByTestId('tool-card-error');
    await reason.getByText(/enforces approvals.*could not be reached.*Nothing was changed/s).waitFor();
    expect(await reason.getByText('NOT_EXECUTED').count()).toBe(1);
    expect(await failed.locator(':scope > button[aria-expanded]').getAttribute('aria-expanded')).toBe('false');
    await stack.screenshot('enforced-failed-card');

    // on a phone, after a reload (the saved timeline): the same, whole and wrapped inside the screen
    const phonePageForCard = await phonePage();
    await phonePageForCard.goto(conversation);
    const phoneFailed = phonePageForCard.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="error"]');
    const phoneReason = phoneFailed.getByTestId('tool-card-error');
    await phoneReason.getByText(/could not be reached/).waitFor();
    await phoneReason.scrollIntoViewIfNeeded();
    const layout = await phoneReason.evaluate((element) => {
      const text = element.querySelector('p')!;
      const box = text.getBoundingClientRect();
      return { right: box.right, width: window.innerWidth, overflow: text.scrollWidth - text.clientWidth, height: box.height, lineHeight: parseFloat(getComputedStyle(text).lineHeight) };
    });
    expect(layout.right).toBeLessThanOrEqual(layout.width);
    expect(layout.overflow).toBeLessThanOrEqual(1);
    // wrapped onto several rows rather than cut
    expect(layout.height).toBeGreaterThan(layout.lineHeight * 2);
    expect(await readingProblems(phonePageForCard, '[data-testid="tool-card"][data-status="error"]')).toEqual([]);
    await phonePageForCard.screenshot({ path: path.join(artifactsDir, 'enforced-failed-card-phone.png') });
    expect(await stack.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).not.toBe('3');
  });
});
