/**
 * Issue 19 in `skyflo chat`, in a real pseudo-terminal (tmux) against a real engine: a follow-up typed while the
 * approval card appears ("please double check" holds an "a" and a "d") decides nothing — the keys are ignored and the
 * user is told so, the call stays awaiting in the engine and the cluster unchanged — and a lone "a" then approves.
 * A model turn with two mutations lists both calls and shows each card before the first decision is sent.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingApprovals, startChatStack, startSignedInChat, type ChatStack } from './harness.ts';
import type { Terminal } from './tmux.ts';

/** bounds a hang; a loaded machine may take minutes where an idle one takes seconds */
const TEST_TIMEOUT = 300_000;
let stack: ChatStack;
let terminal: Terminal;
let token: string;

beforeAll(async () => {
  stack = await startChatStack();
  token = await stack.token();
  terminal = await startSignedInChat(stack, token, { height: 60 });
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await stack?.close();
}, 120_000);

const replicasOf = (name: string) => stack.kubectl('get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}');

describe('skyflo chat: typed-ahead text never decides an approval', () => {
  it('"please double check" typed as the card appears is ignored (and said so); the call stays awaiting; a lone "a" approves', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'default', dry_run: false } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'web now has 4 replicas.' },
      ],
    });
    const question = 'scale web to 4';
    await terminal.type(question);
    await terminal.keys('Enter');
    // the keys line appears once the prompt listens; the follow-up arrives right then, in one burst
    await terminal.waitAfter(question, /\[a\] approve/);
    await terminal.type('please double check');
    const screen = await terminal.waitAfter(question, /ignored 19 keys typed before the card appeared/);
    expect(screen).toContain('nothing was decided: read the card, then press a or d');
    expect(screen).not.toMatch(/approving…|Why deny it\?/);
    // the engine still waits for a decision, and the cluster is as it was
    expect((await pendingApprovals(stack, token)).map((item) => [item.tool, item.args['replicas']])).toEqual([['k8s_scale', 4]]);
    expect(await replicasOf('web')).toBe('2');

    await terminal.type('a');
    const after = await terminal.waitAfter(question, /web now has 4 replicas\./);
    expect(after).toMatch(/approving…/);
    expect(after).toMatch(/✓ approved k8s_scale/);
    expect(await replicasOf('web')).toBe('4');
    expect(await pendingApprovals(stack, token)).toEqual([]);
    await terminal.waitAfter(question, /^› $/m);
  }, TEST_TIMEOUT);

  it('a turn with two mutations lists both and shows each card before the first decision is sent', async () => {
    writeFileSync(path.join(stack.dir, 'api.yaml'), deploymentYaml('api', 1));
    await stack.kubectl('apply', '-f', path.join(stack.dir, 'api.yaml'));
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        {
          match: { toolName: 'load_toolset' },
          reply: {
            toolCalls: [
              { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default', dry_run: false } },
              { name: 'k8s_scale', arguments: { name: 'api', resource_type: 'deployment', replicas: 5, namespace: 'default', dry_run: false } },
            ],
          },
        },
        { match: { toolName: 'k8s_scale' }, reply: 'Both are scaled.' },
      ],
    });
    const question = 'scale web to 3 and api to 5';
    await terminal.type(question);
    await terminal.keys('Enter');
    const first = await terminal.waitAfter(question, /\(1\/2\) .*\[a\] approve/);
    expect(first).toMatch(/This turn proposes 2 changes/);
    expect(first).toMatch(/1\. k8s_scale .*name=web/);
    expect(first).toMatch(/2\. k8s_scale .*name=api/);
    // both were previewed (the engine lists both) and nothing is decided yet
    expect((await pendingApprovals(stack, token)).map((item) => item.args['name']).sort()).toEqual(['api', 'web']);
    await terminal.type('a');
    const second = await terminal.waitAfter(question, /\(2\/2\) .*\[a\] approve/);
    expect(second).toMatch(/│\s+\+\s+replicas: 5$/m);
    // the first decision is not sent before the second card was decided
    expect(await replicasOf('web')).toBe('4');
    await terminal.type('a');
    await terminal.waitAfter(question, /Both are scaled\./);
    expect(await replicasOf('web')).toBe('3');
    expect(await replicasOf('api')).toBe('5');
    await terminal.waitAfter(question, /^› $/m);
  }, TEST_TIMEOUT);
});
