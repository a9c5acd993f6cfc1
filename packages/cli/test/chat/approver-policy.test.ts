/**
 * Issue 37 item 6: `skyflo chat` says the truth to a member under APPROVAL_POLICY=approver, in a real terminal
 * (tmux) against a real engine. The card of a change they may not decide shows "waiting for an approver (…)" with
 * the engine's reason instead of keys the engine would refuse with a 403, and pressing "a" changes nothing; /tools
 * leaves out the engine's internal tools and marks changes with the web UI's risk words; a resumed conversation
 * shows the pending call as awaiting approval (not a green ✓) and a stopped answer rendered, not as raw Markdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, startSignedInChat, type ChatStack } from './harness.ts';
import type { Terminal } from './tmux.ts';

const TEST_TIMEOUT = 300_000;
const MEMBER = 'mia@example.com';
const MEMBER_PASSWORD = 'member-horse-battery';
let stack: ChatStack;
let terminal: Terminal;

beforeAll(async () => {
  stack = await startChatStack({ env: { APPROVAL_POLICY: 'approver' } });
  // the first registered user is the admin; they add a member
  const added = await fetch(`${stack.url}/api/v1/team/members`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await stack.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: MEMBER, password: MEMBER_PASSWORD, role: 'member' }),
  });
  if (added.status !== 201) throw new Error(`adding the member failed: ${added.status} ${await added.text()}`);
  const login = await fetch(`${stack.url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: MEMBER, password: MEMBER_PASSWORD }) });
  const { access_token: token } = (await login.json()) as { access_token: string };
  terminal = await startSignedInChat(stack, token, { height: 60 });
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await stack?.close();
}, 120_000);

describe('skyflo chat for a member under the approver policy', () => {
  let conversationId = '';

  it('shows "waiting for an approver" with the engine\'s reason instead of keys it would refuse; "a" decides nothing', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 5, namespace: 'default', dry_run: false } }] } },
      ],
    });
    await terminal.type('scale web to 5');
    await terminal.keys('Enter');
    const card = await terminal.waitAfter('scale web to 5', /waiting for an approver/);
    expect(card).toMatch(/Approval needed: .*\(k8s_scale\)/);
    expect(card).toMatch(/waiting for an approver \(.*approver.*\)/s);
    expect(card).not.toContain('[a] approve');
    expect(card).not.toContain('[d] deny');
    await terminal.waitAfter('scale web to 5', /^› $/m);
    // a key pressed now is text at the prompt, never a decision: nothing was sent, nothing refused
    await terminal.type('a');
    await terminal.keys('C-u');
    expect(await terminal.since('scale web to 5')).not.toMatch(/failed with 403/);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    await terminal.type('/id');
    await terminal.keys('Enter');
    conversationId = /^([0-9a-f-]{36})$/m.exec(await terminal.waitAfter('/id', /^[0-9a-f-]{36}$/m))![1]!;
  }, TEST_TIMEOUT);

  it('/tools leaves out the internal tools and marks changes with the web UI\'s risk words', async () => {
    await terminal.type('/tools');
    await terminal.keys('Enter');
    const output = await terminal.waitAfter('/tools', /k8s_delete.*\n[\s\S]*^› $/m);
    for (const internal of ['preview_tool_call', 'capture_change_baseline', 'verify_change']) expect(output).not.toContain(internal);
    expect(output).toMatch(/^\s+k8s_delete\s+.*\(Destructive\)$/m);
    expect(output).toMatch(/^\s+k8s_get\s+/m);
    expect(output).not.toContain('(destructive)');
  }, TEST_TIMEOUT);

  it('resumes with the pending call awaiting approval (no green ✓) and a stopped answer rendered as Markdown', async () => {
    const lines = Array.from({ length: 300 }, (_, index) => `Finding **bold ${index + 1}** in \`pod-${index + 1}\`.`).join('\n\n');
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: lines, tokenDelayMs: 25 } }] });
    await terminal.type('/new');
    await terminal.keys('Enter');
    await terminal.type('write a long report');
    await terminal.keys('Enter');
    await terminal.waitAfter('write a long report', /bold 4\b/);
    await terminal.keys('C-c');
    await terminal.waitAfter('write a long report', /■ stopped[\s\S]*^› $/m);
    await terminal.type('/id');
    await terminal.keys('Enter');
    const stoppedId = /^([0-9a-f-]{36})$/m.exec(await terminal.waitAfter('write a long report', /^[0-9a-f-]{36}$/m))![1]!;

    await terminal.type(`/resume ${stoppedId}`);
    await terminal.keys('Enter');
    const stopped = await terminal.waitAfter(`/resume ${stoppedId}`, /bold 3[\s\S]*^› $/m);
    expect(stopped).toMatch(/^Finding bold 1 in pod-1\.$/m);
    expect(stopped).not.toContain('**bold');
    expect(stopped).not.toContain('`pod-');

    await terminal.type(`/resume ${conversationId}`);
    await terminal.keys('Enter');
    const pending = await terminal.waitAfter(`/resume ${conversationId}`, /A change is waiting for approval[\s\S]*^› $/m);
    // one history line, wrapped at a space when it is wider than the terminal
    expect(pending).toMatch(/⧗ k8s_scale .*replicas=5.*\s+\[Awaiting approval\]/);
    expect(pending).not.toMatch(/✓ k8s_scale/);
  }, TEST_TIMEOUT);
});
