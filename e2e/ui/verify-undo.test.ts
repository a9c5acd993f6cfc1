/**
 * Issue 21 in real headless Chromium against a real engine (llm-sim as the model, kube-sim as the cluster):
 *  1. A healthy change: its tool card shows "Verifying…" (a spinner) while the engine watches the rollout, then
 *     ✓ Verified with the engine's summary.
 *  2. An image that cannot be pulled: ✗ Regressed with its evidence (the pods' ImagePullBackOff), and the sidebar
 *     marks the conversation. Undo puts a new approval card in the same conversation, "Undo of <the change>", with
 *     its own diff; approved, it restores the image and is itself verified.
 *  3. A change with a recorded inverse offers "Approve with automatic revert" on its card, unticked, with the
 *     inverse's summary and diff; ticked, the approval sends auto_revert: true, and a crash-looping image is then put
 *     back by the engine without a second approval.
 * Screenshots of the cards go to packages/ui/docs/ (the README shows them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImageScript } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { repoRoot } from '@skyflo/testkit/tools';
import type { Locator, Request } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { approveOnCard, askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 300_000 });

const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');
let stack: UiStack;

/** Every POST the page sends to the approvals routes (decisions and undos), with its body, in order. */
const posts: Array<{ path: string; body: Record<string, unknown> }> = [];
const recordPost = (request: Request) => {
  const pathname = new URL(request.url()).pathname;
  if (request.method() === 'POST' && pathname.startsWith('/api/v1/agent/approvals/')) posts.push({ path: decodeURIComponent(pathname), body: request.postDataJSON() as Record<string, unknown> });
};

beforeAll(async () => {
  // the default hold, so the "verifying" state stays on screen long enough to be seen and photographed
  stack = await startUiStack({ env: { VERIFY_HOLD_SECONDS: '5' } });
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-verify-'));
  for (const name of ['shop', 'cart', 'pay']) {
    writeFileSync(path.join(dir, `${name}.yaml`), deploymentYaml(name));
    await stack.kubectl('apply', '-f', path.join(dir, `${name}.yaml`));
  }
  for (const name of ['shop', 'cart', 'pay']) await stack.kubectl('rollout', 'status', `deployment/${name}`, '--timeout=120s');
  await registerAndSignIn(stack);
  stack.page.on('request', recordPost);
}, 240_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

const imageOf = (name: string) => stack.kubectl('get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}');
const changeCard = (name: string) => stack.page.locator('[data-testid="tool-card"][data-tool="k8s_set_image"]').filter({ hasText: name });

/** Records, in the page, every verification outcome the cards show, in order (so a brief state is not missed). */
async function watchOutcomes(): Promise<() => Promise<string[]>> {
  await stack.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __outcomes: string[] }).__outcomes = seen;
    const note = () => {
      document.querySelectorAll('[data-testid="verification"]').forEach((element) => {
        const outcome = element.getAttribute('data-outcome');
        if (outcome && seen.at(-1) !== outcome) seen.push(outcome);
      });
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-outcome'] });
  });
  return () => stack.page.evaluate(() => (window as unknown as { __outcomes: string[] }).__outcomes.slice());
}

/** A screenshot of a card taller than the window: the window grows to hold all of it, then is put back. */
async function shoot(card: Locator, name: string): Promise<void> {
  const { page } = stack;
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: size.width, height: 2400 });
  try {
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: path.join(docsDir, name) });
  } finally {
    await page.setViewportSize(size);
  }
}

describe('verify, then undo, in the Command Center (issue 21)', () => {
  it('a healthy change: "Verifying…" with a spinner, then ✓ Verified with the summary', async () => {
    const { page } = stack;
    stack.llm.reset(setImageScript('shop', 'nginx:1.26', 'shop runs nginx:1.26.'));
    await askInChat(page, 'Set shop to nginx:1.26');
    const outcomes = await watchOutcomes();
    const card = page.getByTestId('approval-card');
    await approveOnCard(card);
    const tool = changeCard('shop').first();
    const verification = tool.getByTestId('verification');
    await verification.and(page.locator('[data-outcome="verifying"]')).waitFor();
    expect(await verification.getByText('Verifying…').isVisible()).toBe(true);
    await tool.screenshot({ path: path.join(docsDir, 'verify-verifying.png') });
    await verification.and(page.locator('[data-outcome="verified"]')).waitFor();
    expect(await verification.getByTestId('verification-label').textContent()).toBe('Verified');
    expect(await verification.getByTestId('verification-summary').textContent()).toMatch(/\S/);
    await page.getByText('shop runs nginx:1.26.').waitFor();
    await tool.screenshot({ path: path.join(docsDir, 'verify-verified.png') });
    // the spinner came first, the outcome after it, and nothing else
    expect(await outcomes()).toEqual(['verifying', 'verified']);
    expect(await imageOf('shop')).toBe('nginx:1.26');
  });

  it('an image that cannot be pulled: ✗ Regressed with its evidence, the sidebar marks it; Undo proposes the inverse as a new card', async () => {
    const { page } = stack;
    stack.llm.reset(setImageScript('cart', 'nginx:9.9.9', 'cart was updated.'));
    const conversation = await askInChat(page, 'Set cart to nginx:9.9.9');
    await approveOnCard(page.getByTestId('approval-card'));
    const tool = changeCard('cart').first();
    const verification = tool.getByTestId('verification');
    await verification.and(page.locator('[data-outcome="regressed"]')).waitFor();
    expect(await verification.getByTestId('verification-label').textContent()).toBe('Regressed');
    // the evidence is open on a regression: the reads the engine made and what they saw
    const evidence = verification.getByTestId('verification-evidence-read');
    await evidence.first().waitFor();
    expect(await verification.getByLabel('Verification evidence').textContent()).toMatch(/ImagePullBackOff|ErrImagePull/);
    await shoot(tool, 'verify-regressed.png');
    expect(await imageOf('cart')).toBe('nginx:9.9.9');
    // the model answered after the verification: the run is over, and the sidebar was read again
    await page.getByText('cart was updated.').waitFor();

    // the conversation list marks the run whose change regressed, with a tooltip saying so
    const mark = page.getByRole('link').filter({ has: page.getByTestId('regressed-mark') });
    await page.locator(`a[href="${conversation}"] [data-testid="regressed-mark"]`).waitFor();
    expect(await page.locator(`a[href="${conversation}"] [data-testid="regressed-mark"]`).getAttribute('title')).toMatch(/regressed/);
    expect(await mark.count()).toBe(1);

    // Undo: a new approval card in the same conversation, naming the change it undoes, with its own diff
    stack.llm.reset(setImageScript('cart', 'nginx:9.9.9', 'cart is back on its previous image.'));
    await tool.getByTestId('undo-button').click();
    const undoCard = page.getByTestId('approval-card');
    await undoCard.getByTestId('undo-of').waitFor();
    expect(new URL(page.url()).pathname).toBe(conversation);
    // the change it undoes, by its title, tool and target (the card's title comes from the tool catalogue)
    expect(await undoCard.getByTestId('undo-of-call').textContent()).toMatch(/^\S.* \(k8s_set_image deployment default\/cart\)$/);
    await undoCard.getByTestId('diff-view').first().waitFor();
    await expect.poll(async () => undoCard.getByTestId('diff-view').first().textContent(), { timeout: 30_000 }).toContain('nginx:1.27');
    await shoot(undoCard, 'verify-undo-card.png');
    const undoPost = posts.find((post) => post.path.endsWith('/undo'));
    expect(undoPost?.body).toEqual({ conversation_id: conversation.split('/').at(-1) });
    // the original card now points at the undo instead of offering it twice
    await tool.getByTestId('undo-proposed').waitFor();
    // nothing changed before the undo is approved
    expect(await imageOf('cart')).toBe('nginx:9.9.9');

    await approveOnCard(undoCard);
    const undone = page.locator('[data-testid="tool-card"][data-tool="k8s_set_image"]').last();
    await undone.getByTestId('verification').and(page.locator('[data-outcome="verified"]')).waitFor();
    expect(await imageOf('cart')).toBe('nginx:1.27');
    await tool.getByTestId('undo-done').waitFor();
    // undone: the sidebar no longer marks the conversation once the list is read again
    await page.reload();
    await page.getByTestId('conversation-title').waitFor();
    await page.locator(`a[href="${conversation}"]`).waitFor();
    expect(await page.locator(`a[href="${conversation}"] [data-testid="regressed-mark"]`).count()).toBe(0);
  });

  it('"Approve with automatic revert" shows the inverse on the card, unticked; ticked, a crash-looping image is put back without asking again', async () => {
    const { page } = stack;
    // busybox with no command exits at once: the new pods crash-loop
    stack.llm.reset(setImageScript('pay', 'busybox:1.36', 'pay was updated.'));
    await askInChat(page, 'Set pay to busybox:1.36');
    const card = page.getByTestId('approval-card');
    const option = card.getByTestId('auto-revert');
    await option.waitFor();
    const checkbox = option.getByTestId('auto-revert-checkbox');
    expect(await checkbox.isChecked()).toBe(false);
    expect(await option.getByTestId('auto-revert-summary').textContent()).toMatch(/pay/);
    // the diff viewer loads on demand: wait for the inverse's diff itself, not its placeholder
    await expect.poll(async () => option.getByTestId('auto-revert-diff').textContent(), { timeout: 30_000 }).toContain('nginx:1.27');
    expect(await card.getByRole('button', { name: /^Approve/ }).textContent()).toMatch(/^Approve\s*A$/);
    await shoot(card, 'verify-auto-revert-checkbox.png');

    const before = posts.length;
    await checkbox.check();
    expect(await card.getByRole('button', { name: /^Approve/ }).textContent()).toMatch(/^Approve with automatic revert/);
    // ticking it was a click in the card, so A now decides (on the checkbox too): it approves with automatic revert
    await card.getByText('A approves with automatic revert, D denies.').waitFor();
    await page.keyboard.press('a');
    const tool = changeCard('pay').first();
    await tool.getByTestId('decided-auto-revert').waitFor();
    await tool.getByTestId('verification').and(page.locator('[data-outcome="regressed"]')).waitFor();
    await tool.getByTestId('auto-revert-note').waitFor();
    // the engine runs the recorded inverse by itself: the image comes back, and no second decision was sent
    await vi.waitFor(async () => expect(await imageOf('pay')).toBe('nginx:1.27'), { timeout: 180_000, interval: 500 });
    // the revert's card says it is the automatic revert of the change (not an --approve-all approval), and is verified
    const revert = page.locator('[data-testid="tool-card"]').filter({ has: page.getByTestId('automatic-revert-of') });
    await revert.waitFor();
    expect(await revert.getByTestId('automatic-revert-of').textContent()).toMatch(/automatic revert of .*default\/pay/);
    await revert.getByTestId('verification').and(page.locator('[data-outcome="verified"]')).waitFor();
    await shoot(tool, 'verify-auto-reverted.png');
    const sent = posts.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ approve: true, auto_revert: true });
  });
});
