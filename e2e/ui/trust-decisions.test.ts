/**
 * Issue 19 in real headless Chromium against a real engine (llm-sim as the model, kube-sim as the cluster):
 *  1. An approval card never takes the focus: a follow-up typed into the message box while the card appears decides
 *     nothing (the call stays awaiting, the box keeps every letter); moving into the card with Tab and pressing A does.
 *  2. A turn with two mutations shows both cards with their diffs (and the approvals list both) before anything can be
 *     decided, and "Approve all" decides exactly those two, each bound to the hashes its card showed.
 *  3. A decided card says who decided, when and why, and keeps the diff that was approved, also after a reload; a
 *     stopped answer is marked where it stopped, also after a reload.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pendingApprovalsResponseSchema, type PendingApproval } from '@skyflo/protocol';
import type { Request } from 'playwright-core';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, slowScript, startUiStack, type UiStack } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

/** Every decision the page sends (POST /agent/approvals/:call_id), with its body, in the order it sent them. */
const decisions: Array<{ callId: string; body: Record<string, unknown> }> = [];
const recordDecision = (request: Request) => {
  const match = /\/api\/v1\/agent\/approvals\/([^/?]+)$/.exec(new URL(request.url()).pathname);
  if (request.method() === 'POST' && match) decisions.push({ callId: decodeURIComponent(match[1]), body: request.postDataJSON() as Record<string, unknown> });
};

beforeAll(async () => {
  stack = await startUiStack();
  await registerAndSignIn(stack);
  stack.page.on('request', recordDecision);
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-trust-'));
  writeFileSync(
    path.join(dir, 'api.yaml'),
    deploymentYaml('api', 1),
  );
  await stack.kubectl('apply', '-f', path.join(dir, 'api.yaml'));
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

const replicasOf = (name: string) => stack.kubectl('get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}');
/** the queue in the protocol's one shape (parsing fails the test if the engine answers another) */
const pendingApprovals = async (): Promise<PendingApproval[]> => {
  const response = await stack.page.request.get('/api/v1/approvals/pending');
  expect(response.status()).toBe(200);
  return pendingApprovalsResponseSchema.parse(await response.json()).data;
};
const composer = () => stack.page.getByRole('textbox', { name: 'Message' });
const activeInCard = () =>
  stack.page.evaluate(() => {
    const card = document.querySelector('[data-testid="approval-card"]');
    return !!card && !!document.activeElement && card.contains(document.activeElement);
  });

describe('trust in approval decisions (issue 19)', () => {
  it('typing a follow-up while the card appears decides nothing; Tab into the card, then A approves', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(5));
    const before = decisions.length;
    await askInChat(page, 'Scale web to 5');
    // the user starts a follow-up in the message box while the agent works…
    await composer().click();
    await page.keyboard.type('ple');
    // …the card appears mid-word, and they keep typing: the "a" of "please" and the "d" of "double" go to the box
    const card = page.getByTestId('approval-card');
    await card.waitFor();
    await page.keyboard.type('ase double check');
    await page.getByTestId('run-status').getByText('Waiting for your decision').waitFor();
    await card.getByTestId('diff-view').waitFor();

    expect(await composer().inputValue()).toBe('please double check');
    expect(await composer().evaluate((element) => element === document.activeElement)).toBe(true);
    // React flushes a keydown's state at once: a decision made by those keys would already show "Sending the decision…"
    expect(await card.getByTestId('approval-hint').textContent()).toBe('Click or Tab into this card to decide with A / D.');
    // with a mouse, the keys are shown: the hint and each button's key
    expect(await card.getByTestId('approval-hint').isVisible()).toBe(true);
    expect(await card.getByRole('button', { name: /^Approve/ }).locator('kbd').isVisible()).toBe(true);
    const waiting = await pendingApprovals();
    expect(waiting.map((item) => [item.tool, item.args['replicas']])).toEqual([['k8s_scale', 5]]);
    expect(await replicasOf('web')).toBe('2');
    await stack.screenshot('50-typing-while-card-appears');

    // a card that merely has the focus (no click, no Tab) does not decide either
    await card.evaluate((element) => (element as HTMLElement).focus());
    await page.keyboard.press('a');
    expect(await card.getByTestId('approval-hint').textContent()).toBe('Click or Tab into this card to decide with A / D.');

    // deliberately: Shift+Tab out of the card, Tab back into it, then A
    await page.keyboard.press('Shift+Tab');
    expect(await activeInCard()).toBe(false);
    await page.keyboard.press('Tab');
    expect(await activeInCard()).toBe(true);
    await card.getByText('A approves, D denies.').waitFor();
    await stack.screenshot('51-card-entered-with-tab');
    await page.keyboard.press('a');
    await page.getByText('web now has 5 replicas.').waitFor();
    await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]').waitFor();
    expect(await replicasOf('web')).toBe('5');
    // exactly one decision was sent over the whole test, bound to the hashes of the call the card showed
    expect(decisions.slice(before)).toEqual([{ callId: waiting[0].call_id, body: expect.objectContaining({ approve: true, args_hash: waiting[0].args_hash, diff_hash: waiting[0].diff_hash }) }]);
    expect(await composer().inputValue()).toBe('please double check');
    await composer().fill('');
  });

  it('two mutations in one turn: both cards show their diffs first, and Approve all decides exactly those two', async () => {
    const { page } = stack;
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        {
          match: { toolName: 'load_toolset' },
          reply: {
            toolCalls: [
              { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default', dry_run: false } },
              { name: 'k8s_scale', arguments: { name: 'api', resource_type: 'deployment', replicas: 4, namespace: 'default', dry_run: false } },
            ],
          },
        },
        { match: { toolName: 'k8s_scale' }, reply: 'Both deployments are scaled.' },
      ],
    });
    const before = decisions.length;
    await askInChat(page, 'Scale web to 3 and api to 4');
    const bar = page.getByTestId('batch-bar');
    await bar.getByText('2 approvals pending').waitFor();
    const cards = page.getByTestId('approval-card');
    expect(await cards.count()).toBe(2);
    for (const [index, [from, to]] of [
      ['replicas: 5', 'replicas: 3'],
      ['replicas: 1', 'replicas: 4'],
    ].entries()) {
      const diff = cards.nth(index).getByTestId('diff-view');
      await diff.waitFor();
      expect(await diff.locator('[data-diff="del"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(from)]));
      expect(await diff.locator('[data-diff="add"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(to)]));
    }
    expect(await bar.getByTestId('batch-covers').textContent()).toBe('Covers the 2 cards above: k8s_scale deployment default/web · k8s_scale deployment default/api');
    // the approvals list has both, each with its preview
    const waiting = await pendingApprovals();
    expect(waiting.map((item) => item.args['name']).sort()).toEqual(['api', 'web']);
    expect(waiting.every((item) => item.diff && item.diff_hash)).toBe(true);
    await stack.screenshot('52-two-mutations-previewed');

    await bar.getByRole('button', { name: 'Approve all' }).click();
    await page.getByTestId('timeline').getByText('Both deployments are scaled.').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]').count()).toBe(2);
    expect(await replicasOf('web')).toBe('3');
    expect(await replicasOf('api')).toBe('4');
    const sent = decisions.slice(before);
    expect(sent.map((decision) => decision.callId).sort()).toEqual(waiting.map((item) => item.call_id).sort());
    for (const decision of sent) {
      const shown = waiting.find((item) => item.call_id === decision.callId)!;
      expect(decision.body).toMatchObject({ approve: true, args_hash: shown.args_hash, diff_hash: shown.diff_hash });
    }
    expect(await pendingApprovals()).toEqual([]);
    await stack.screenshot('53-approve-all-done');
  });

  it('a decided card shows who decided, when, why and the approved diff, also after a reload', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(6, 'web now has 6 replicas.'));
    await askInChat(page, 'Scale web to 6');
    const card = page.getByTestId('approval-card');
    await card.getByTestId('diff-view').waitFor();
    await page.getByTestId('run-status').getByText('Waiting for your decision').waitFor();
    await card.getByLabel('Reason (optional)').click();
    await page.keyboard.type('change window CHG-42 is open');
    await card.getByRole('button', { name: /Approve/ }).click();
    await page.getByText('web now has 6 replicas.').waitFor();
    expect(await replicasOf('web')).toBe('6');

    await page.reload();
    const decided = page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]');
    const note = decided.getByTestId('decision-note');
    await note.waitFor();
    expect(await note.getAttribute('data-decision')).toBe('approved');
    expect(await note.getByTestId('decided-by').textContent()).toBe(ADMIN.email);
    expect(await note.getByTestId('decision-reason').textContent()).toBe('change window CHG-42 is open');
    const time = note.getByTestId('relative-time');
    expect(await time.textContent()).toMatch(/now|second|minute/);
    // the absolute time on hover, and a machine-readable one
    expect(await time.getAttribute('title')).toMatch(/\d{4}/);
    expect(Number.isNaN(Date.parse((await time.getAttribute('datetime')) ?? ''))).toBe(false);
    await note.getByRole('button', { name: 'Show the diff that was approved' }).click();
    const diff = note.getByTestId('diff-view');
    await diff.waitFor();
    expect(await diff.locator('[data-diff="add"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('replicas: 6')]));
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('54-decided-card-after-reload');
  });

  it('a stopped answer is marked "Stopped" where it stopped, also after a reload', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(400, 15));
    await askInChat(page, 'Write a very long answer');
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('line 3', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Stop the run' }).click();
    await page.getByTestId('run-status').getByText('Stopped').waitFor();
    const marker = timeline.getByTestId('stopped-marker');
    await marker.waitFor();
    // the mark closes the answer: it comes right after the last streamed line
    const markedAfterText = () =>
      marker.evaluate((element) => {
        const answer = element.closest('article')!;
        const lines = Array.from(answer.querySelectorAll('p')).filter((paragraph) => /^line \d+$/.test(paragraph.textContent ?? ''));
        const last = lines.at(-1);
        return !!last && (last.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      });
    expect(await markedAfterText()).toBe(true);
    expect(await timeline.getByText('line 399', { exact: true }).count()).toBe(0);
    await page.reload();
    await timeline.getByTestId('stopped-marker').waitFor();
    expect(await markedAfterText()).toBe(true);
    await stack.screenshot('55-stopped-answer-marked');
  });

  it('an answer that ends inside a bold span (as a stop can cut it) shows it bold, not its asterisks, also after a reload', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: 'First **web-0** is fine.\n\nThe pod web-1 is **CrashLoopBack' } }] });
    await askInChat(page, 'What is wrong with web-1?');
    const timeline = page.getByTestId('timeline');
    await timeline.locator('strong', { hasText: 'CrashLoopBack' }).waitFor();
    await page.getByTestId('run-status').getByText('Working…').waitFor({ state: 'detached' });
    expect(await timeline.getByText('**CrashLoopBack').count()).toBe(0);
    await page.reload();
    await timeline.locator('strong', { hasText: 'CrashLoopBack' }).waitFor();
    expect(await timeline.getByText('**CrashLoopBack').count()).toBe(0);
  });
});
