/**
 * `skyflo chat` in a real pseudo-terminal (tmux) against a real engine: the first login (password not echoed,
 * tokens stored 0600), a read-only answer rendered as Markdown, an approval card with the dry-run diff approved
 * by keypress (the cluster changes, read back with the real kubectl), a denial with a reason, Ctrl-C stopping a
 * streaming answer, and a second Ctrl-C quitting.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, PASSWORD, skyfloBin, startChatStack, waitFor, type ChatStack } from './harness.ts';
import { startTerminal, type Terminal } from './tmux.ts';

/** bounds a hang; a loaded machine may take minutes where an idle one takes seconds */
const TEST_TIMEOUT = 300_000;
let stack: ChatStack;
let terminal: Terminal;
let configHome: string;

beforeAll(async () => {
  stack = await startChatStack();
  configHome = path.join(stack.dir, 'config');
  terminal = await startTerminal({ dir: stack.dir, command: [process.execPath, skyfloBin, 'chat', '--url', stack.url], env: { XDG_CONFIG_HOME: configHome, NO_COLOR: '', TERM: 'xterm-256color' } });
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await stack?.close();
}, 120_000);

describe('skyflo chat in a terminal', () => {
  it('logs in once without echoing the password, and keeps the tokens readable by the user only', async () => {
    await terminal.waitFor(/Email: $/m);
    await terminal.type(EMAIL);
    await terminal.keys('Enter');
    await terminal.waitFor(/Password \(not shown\): $/m);
    await terminal.type(PASSWORD);
    await terminal.keys('Enter');
    const screen = await terminal.waitFor(/^› $/m);
    expect(screen).toContain(`Logged in as ${EMAIL}`);
    expect(screen).not.toContain(PASSWORD);
    const file = path.join(configHome, 'skyflo', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { servers: Record<string, { access_token: string; refresh_token: string; email: string }> };
    expect(stored.servers[stack.url]).toMatchObject({ email: EMAIL, access_token: expect.stringMatching(/^ey/), refresh_token: expect.any(String) });
  }, TEST_TIMEOUT);

  it('answers a read-only question with the tool call as one line and the Markdown rendered', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', all_namespaces: false } }] } },
        { match: { toolName: 'k8s_get', toolResultContains: 'web' }, reply: '## Deployments\n\nOnly **web** runs, with `2/2` replicas ready:\n\n- web: nginx:1.27\n' },
      ],
    });
    await terminal.type('which deployments run in default?');
    await terminal.keys('Enter');
    // The answer is rendered block by block as it streams: wait for its end (the prompt is back), not its first lines.
    const output = await terminal.waitAfter('which deployments run in default?', /^› $/m);
    expect(output).toMatch(/✓ k8s_get resource_type=deployments namespace=default all_namespaces=false +\d+ lines/);
    expect(output).toMatch(/Only web runs, with 2\/2 replicas ready/);
    expect(output).not.toContain('**web**');
    expect(output).toMatch(/^\s+\* web: nginx:1\.27$/m);
    // colours are on in a terminal unless NO_COLOR is set
    expect(await terminal.screen({ escapes: true })).toMatch(/\x1b\[[0-9;]*m/);
  }, TEST_TIMEOUT);

  it('shows an approval card with the exact args and the dry-run diff, and approves on "a": the cluster changes', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'default', dry_run: false } }] } },
        { match: { toolName: 'k8s_scale' }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployment', name: 'web', namespace: 'default', all_namespaces: false, output: 'json' } }] } },
        { match: { toolName: 'k8s_get', toolResultContains: '"replicas": 4' }, reply: 'Verified: **web** now wants 4 replicas.' },
      ],
    });
    await terminal.type('scale web to 4');
    await terminal.keys('Enter');
    const card = await terminal.waitAfter('scale web to 4', /\[a\] approve/);
    expect(card).toMatch(/Approval needed: .*\(k8s_scale\)/);
    expect(card).toMatch(/"replicas": 4,/);
    expect(card).toMatch(/"name": "web",/);
    expect(card).toMatch(/│\s+-\s+replicas: 2$/m);
    expect(card).toMatch(/│\s+\+\s+replicas: 4$/m);
    expect(card).toMatch(/args hash +[0-9a-f]{64}/);
    // nothing has happened yet
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');

    await terminal.type('a');
    const after = await terminal.waitAfter('scale web to 4', /Verified: web now wants 4 replicas/);
    expect(after).toMatch(/✓ approved k8s_scale/);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('4');
    await terminal.waitAfter('scale web to 4', /^› $/m);
  }, TEST_TIMEOUT);

  it('denies on "d" with a reason the engine records and the agent is told; the cluster stays as it was', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_delete', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', dry_run: false } }] } },
        { match: { toolResultContains: 'denied' }, reply: 'Understood, I left web alone.' },
      ],
    });
    await terminal.type('delete the web deployment');
    await terminal.keys('Enter');
    expect(await terminal.waitAfter('delete the web deployment', /\[a\] approve/)).toMatch(/Approval needed: .*\(k8s_delete\)/);
    await terminal.type('d');
    await terminal.waitAfter('delete the web deployment', /Why deny it\?/);
    await terminal.type('change freeze until Monday');
    await terminal.keys('Enter');
    const after = await terminal.waitAfter('delete the web deployment', /Understood, I left web alone/);
    // the reason shown comes back from the engine's tool.denied event
    expect(after).toMatch(/✗ denied k8s_delete: change freeze until Monday/);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'name')).toBe('deployment.apps/web');
    const toolMessage = JSON.stringify(stack.llm.calls.at(-1)!.messages.at(-1));
    expect(toolMessage).toMatch(/denied/i);
    expect(toolMessage).toContain('change freeze until Monday');
    await terminal.waitAfter('delete the web deployment', /^› $/m);
  }, TEST_TIMEOUT);

  it('Ctrl-C stops a streaming answer (the run ends "stopped"), and a second Ctrl-C quits', async () => {
    const lines = Array.from({ length: 400 }, (_, index) => `streamed line ${index + 1}`).join('\n');
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: lines, tokenDelayMs: 25 } }] });
    await terminal.type('tell me a long story');
    await terminal.keys('Enter');
    await terminal.waitAfter('tell me a long story', /streamed line 5\b/);
    await terminal.keys('C-c');
    const output = await terminal.waitAfter('tell me a long story', /■ stopped/);
    expect(output).toContain('stopping the run');
    expect(output).not.toContain('streamed line 400');
    // the engine aborted the model request
    await waitFor(() => stack.llm.calls.at(-1)?.aborted || undefined, () => JSON.stringify(stack.llm.calls.at(-1)));
    await terminal.waitAfter('tell me a long story', /^› $/m);

    // A second Ctrl-C while a run streams quits at once.
    await terminal.type('tell me a long story again');
    await terminal.keys('Enter');
    await terminal.waitAfter('tell me a long story again', /streamed line 3\b/);
    await terminal.keys('C-c');
    // the second Ctrl-C may land while the run is still stopping or once it has stopped: both quit
    await terminal.waitAfter('tell me a long story again', /stopping the run/);
    await terminal.keys('C-c');
    const status = await waitFor(() => terminal.exitStatus(), async () => `${await terminal.processReport()}\n${await terminal.screen()}`);
    expect(status, (await terminal.screen()).split('tell me a long story again').at(-1)).toBe(130);
  }, TEST_TIMEOUT);
});
