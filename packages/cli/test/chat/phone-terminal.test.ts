/**
 * `skyflo chat` in an SSH client on a phone: a real terminal (tmux) 44 columns wide and 30 rows tall. The approval card
 * wraps its own lines at their spaces under its border (the terminal used to break them at its edge, mid-word and
 * without the border), and when it is taller than the screen its foot names the call and its cluster again, so the
 * person pressing [a] sees what and where without scrolling back. Approving still changes the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatStack, startSignedInChat, type ChatStack } from './harness.ts';
import type { Terminal } from './tmux.ts';

const TEST_TIMEOUT = 300_000;
const phone = { width: 44, height: 30 };
let stack: ChatStack;
let terminal: Terminal;

beforeAll(async () => {
  stack = await startChatStack();
  terminal = await startSignedInChat(stack, await stack.token(), phone);
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await stack?.close();
}, 120_000);

describe('skyflo chat on a phone-sized terminal (44×30)', () => {
  it('shows the approval card within its border, words whole, and the call and cluster at its foot; [a] approves', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'default' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled **web** to 4 replicas.' },
      ],
    });
    await terminal.type('scale web to 4');
    await terminal.keys('Enter');
    await terminal.waitAfter('scale web to 4', /\[a\] approve/);

    const rows = (await terminal.screen({ rows: true })).split('\n');
    const top = rows.findIndex((row) => row.startsWith('╭─ Approval needed'));
    const bottom = rows.findIndex((row, index) => index > top && row.startsWith('╰─'));
    expect(top, rows.join('\n')).toBeGreaterThanOrEqual(0);
    // every row of the card is drawn by the card: its border, or the keys' own rows under ╰─
    for (const row of rows.slice(top, bottom + 1)) expect(row, rows.slice(top, bottom + 1).join('\n')).toMatch(/^(│|╭─|╰─)/);
    // the policy reason, put back together from its rows, has no word cut in two
    const why = rows.findIndex((row) => row.startsWith('│ why'));
    let end = why + 1;
    while (/^│ {11}\S/.test(rows[end] ?? '')) end++;
    expect(rows.slice(why, end).map((row) => row.slice(12).trim()).join(' ')).toMatch(/^Changes the cluster: scales deployment default\/web to 4 replicas/);

    // what is on the screen now, with the keys: the call and the cluster it runs on
    const visible = await terminal.screen({ visible: true });
    expect(visible.replace(/\n│\s+/g, ' ')).toMatch(/↑ deciding k8s_scale on kube-sim · namespace default/);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');

    await terminal.type('a');
    await terminal.waitAfter('scale web to 4', /Scaled web to 4 replicas/);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('4');
  }, TEST_TIMEOUT);
});
