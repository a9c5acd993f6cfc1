/**
 * Issue 21 in `skyflo chat`, in a real pseudo-terminal (tmux) against a real engine (llm-sim as the model, kube-sim as
 * the cluster):
 *  1. An image that cannot be pulled: after the approval the tool line is followed by the engine's verification,
 *     "✗ regressed" with its summary and the pods' ImagePullBackOff as evidence; `/undo` asks the engine for the
 *     inverse, shows its card ("UNDO OF …", its own diff), and once approved the image is back and verified.
 *  2. A card with a recorded inverse shows it before deciding and offers `a!`; `a!` approves with automatic revert,
 *     and a crash-looping image is put back by the engine without a second approval.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImageScript } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingApprovals, startChatStack, startSignedInChat, waitFor, type ChatStack } from './harness.ts';
import type { Terminal } from './tmux.ts';

/** bounds a hang; a loaded machine may take minutes where an idle one takes seconds */
const TEST_TIMEOUT = 300_000;
let stack: ChatStack;
let terminal: Terminal;
let token: string;

beforeAll(async () => {
  stack = await startChatStack();
  for (const name of ['cart', 'pay']) {
    writeFileSync(path.join(stack.dir, `${name}.yaml`), deploymentYaml(name));
    await stack.kubectl('apply', '-f', path.join(stack.dir, `${name}.yaml`));
  }
  for (const name of ['cart', 'pay']) await stack.kubectl('rollout', 'status', `deployment/${name}`, '--timeout=120s');
  token = await stack.token();
  terminal = await startSignedInChat(stack, token, { width: 140, height: 70 });
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await stack?.close();
}, 120_000);

// a change, its verification and its undo take longer than one screen line on a busy machine
const STEP_TIMEOUT = 180_000;

const imageOf = (name: string) => stack.kubectl('get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}');

describe('skyflo chat: verify, then undo (issue 21)', () => {
  it('an unpullable image is shown regressed with its evidence; /undo shows the inverse card, and approved it restores the image', async () => {
    stack.llm.reset(setImageScript('cart', 'nginx:9.9.9', 'cart was updated.'));
    const question = 'set cart to nginx:9.9.9';
    await terminal.type(question);
    await terminal.keys('Enter');
    await terminal.waitAfter(question, /\[a\] approve/, STEP_TIMEOUT);
    await terminal.type('a');
    const regressed = await terminal.waitAfter(question, /cart was updated\.[\s\S]*^› $/m, STEP_TIMEOUT);
    expect(regressed).toMatch(/↳ ✗ regressed: \S/);
    expect(regressed).toMatch(/│ .*(ImagePullBackOff|ErrImagePull)/);
    expect(regressed).toContain('/undo proposes its inverse');
    // the outcome comes after the tool line, and before the model's answer
    expect(regressed.indexOf('✗ regressed')).toBeGreaterThan(regressed.indexOf('✓ k8s_set_image'));
    expect(regressed.indexOf('✗ regressed')).toBeLessThan(regressed.indexOf('cart was updated.'));
    expect(await imageOf('cart')).toBe('nginx:9.9.9');

    stack.llm.reset(setImageScript('cart', 'nginx:9.9.9', 'cart is back on nginx:1.27.'));
    await terminal.type('/undo');
    await terminal.keys('Enter');
    const card = await terminal.waitAfter('/undo', /\[a\] approve/, STEP_TIMEOUT);
    expect(card).toMatch(/│ ↶ UNDO OF k8s_set_image .*container_images=cart=nginx:9\.9\.9/);
    expect(card).toMatch(/│\s+\+\s+.*image: nginx:1\.27/);
    // proposed, not run: the engine waits for this decision and the cluster is as it was
    expect((await pendingApprovals(stack, token)).map((item) => item.tool)).toEqual(['k8s_set_image']);
    expect(await imageOf('cart')).toBe('nginx:9.9.9');
    await terminal.type('a');
    const undone = await terminal.waitAfter('/undo', /cart is back on nginx:1\.27\.[\s\S]*^› $/m, STEP_TIMEOUT);
    expect(undone).toMatch(/↳ ✓ verified/);
    expect(await imageOf('cart')).toBe('nginx:1.27');

    // opened again later (/resume), the history says what the verification found under each change, as it did live
    const listed = await fetch(`${stack.url}/api/v1/conversations?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    const [conversation] = ((await listed.json()) as { data: Array<{ id: string }> }).data;
    await terminal.type(`/resume ${conversation!.id}`);
    await terminal.keys('Enter');
    // the history is drawn in several writes: wait for its last line, the undo's answer, before reading it
    const history = await terminal.waitAfter(`/resume ${conversation!.id}`, /↳ ✓ verified[\s\S]*cart is back on nginx:1\.27\./, STEP_TIMEOUT);
    expect(history.replace(/\n\s+/g, ' ')).toMatch(/✓ k8s_set_image [^↳]*nginx:9\.9\.9 \[Completed\] ↳ ✗ regressed: \S/);
    expect(history).toMatch(/│ .*(ImagePullBackOff|ErrImagePull)/);
    // in the order it happened: the change, its verdict and the answer about it, then the undo, its verdict and its answer
    const order = ['✗ regressed', 'cart was updated.', 'nginx:1.27 [Completed]', '✓ verified', 'cart is back on nginx:1.27.'].map((text) => history.replace(/\n\s+/g, ' ').indexOf(text));
    expect(order, history).toEqual([...order].sort((a, b) => a - b));
    expect(Math.min(...order), history).toBeGreaterThanOrEqual(0);
  }, TEST_TIMEOUT);

  it('a card with an inverse shows it and offers a!; a! approves with automatic revert and a crash-looping image is put back', async () => {
    // busybox with no command exits at once: the new pods crash-loop
    stack.llm.reset(setImageScript('pay', 'busybox:1.36', 'pay was updated.'));
    const question = 'set pay to busybox:1.36';
    await terminal.type(question);
    await terminal.keys('Enter');
    const card = await terminal.waitAfter(question, /\[a!\] approve with automatic revert/, STEP_TIMEOUT);
    expect(card).toContain('if it regresses [a!] approves with automatic revert, which would run:');
    expect(card).toMatch(/│\s+\+\s+.*image: nginx:1\.27/);
    await terminal.type('a!');
    const after = await terminal.waitAfter(question, /pay was updated\.[\s\S]*^› $/m, STEP_TIMEOUT);
    expect(after).toContain('approving with automatic revert…');
    expect(after).toMatch(/✓ approved k8s_set_image with automatic revert/);
    expect(after).toMatch(/↳ ✗ regressed/);
    expect(after).toContain('automatic revert (approved with the change)');
    // the engine's revert is approved by no one again, and says so (not as an --approve-all approval)
    expect(after).toMatch(/✓ approved k8s_set_image \(automatic revert, no second approval\)/);
    expect(after).not.toContain('--approve-all');
    await waitFor(
      async () => ((await imageOf('pay')) === 'nginx:1.27' ? true : undefined),
      async () => `pay still runs ${await imageOf('pay')}:\n${await terminal.since(question)}`,
      180_000,
    );
    expect(await pendingApprovals(stack, token)).toEqual([]);
  }, TEST_TIMEOUT);
});
