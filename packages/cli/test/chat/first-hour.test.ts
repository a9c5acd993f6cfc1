/**
 * The terminal client's first hour (issue 23, items 5–7), against a real engine, kube-sim and the real `skyflo`
 * binary: a fresh engine says where the first account is created (and creates it at the terminal when asked), a
 * long approval card keeps its header and risks on screen and pages the diff with [m], a long one-paragraph answer
 * shows a spinner and then its unfinished line while it streams, `-p` prints plain text, a closed pipe ends the
 * command quietly, and /tools and /model answer.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, skyfloBin, startChatStack, waitFor, type ChatStack } from './harness.ts';
import { startTerminal, type Terminal } from './tmux.ts';

const TEST_TIMEOUT = 300_000;
const HEIGHT = 30;
let stack: ChatStack;
let fresh: { engine: Engine; url: string };
let token: string;
const terminals: Terminal[] = [];

beforeAll(async () => {
  stack = await startChatStack();
  token = await stack.token();
  // a second engine nobody has registered on: what a first-time user meets
  const engine = await createEngine(
    loadConfig({
      PORT: '0',
      SKYFLO_DATA_DIR: path.join(stack.dir, 'fresh-data'),
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: stack.llm.url,
      KUBECONFIG: stack.kubeconfig,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    }),
    { logger: false },
  );
  fresh = { engine, url: await engine.listen() };
}, 240_000);

afterAll(async () => {
  for (const terminal of terminals) await terminal.kill();
  await fresh?.engine.close();
  await stack?.close();
}, 120_000);

async function terminalOn(url: string, env: Record<string, string>, name: string, width?: number): Promise<Terminal> {
  const terminal = await startTerminal({
    dir: stack.dir,
    command: [process.execPath, skyfloBin, 'chat', '--url', url],
    env: { XDG_CONFIG_HOME: path.join(stack.dir, `config-${name}`), NO_COLOR: '', TERM: 'xterm-256color', ...env },
    height: HEIGHT,
    ...(width ? { width } : {}),
  });
  terminals.push(terminal);
  return terminal;
}

/** What is on the screen now, without the scrollback: the last HEIGHT lines tmux reports. */
async function visible(terminal: Terminal): Promise<string> {
  return (await terminal.screen()).replace(/\n+$/, '').split('\n').slice(-HEIGHT).join('\n');
}

describe('a fresh engine (no account yet)', () => {
  it('without a terminal: says the first account is created in the Command Center, not "Incorrect email or password"', async () => {
    const result = await runCli(['chat', '--url', fresh.url, '-p', 'hello'], { env: { XDG_CONFIG_HOME: path.join(stack.dir, 'config-fresh-pipe') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('This engine has no account yet');
    expect(result.stderr).toContain(`The first account (its administrator) is created in the Command Center: open ${fresh.url} in a browser and sign up`);
    expect(result.stderr).not.toMatch(/Incorrect email or password/i);
  }, TEST_TIMEOUT);

  it('at a terminal (a phone\'s, 44 columns): offers to create the administrator account there, and then chats as it', async () => {
    const terminal = await terminalOn(fresh.url, {}, 'fresh-tty', 44);
    const offer = await terminal.waitFor(/Create the admin account here\? \[y\/N\] $/m);
    // wrapped at spaces: no row past the edge, and put back together the words and the URL are whole
    const rows = offer.split('\n');
    for (const row of rows) expect(row.length, offer).toBeLessThanOrEqual(44);
    expect(offer.replace(/\n\s*/g, ' ')).toContain(`there is nothing to log in with. The first account (its administrator) is created in the Command Center: open ${fresh.url} in a browser and sign up`);
    expect(offer).not.toMatch(/Password/);
    await terminal.type('y');
    await terminal.keys('Enter');
    await terminal.waitFor(/Email for the administrator: $/m);
    await terminal.type('first@example.com');
    await terminal.keys('Enter');
    await terminal.waitFor(/Password \(not shown\): $/m);
    await terminal.type('correct-horse-battery-staple');
    await terminal.keys('Enter');
    await terminal.waitFor(/The same password again: $/m);
    await terminal.type('correct-horse-battery-staple');
    await terminal.keys('Enter');
    const screen = await terminal.waitFor(/^› $/m);
    const joined = screen.replace(/\n\s*/g, ' ');
    expect(joined).toContain('Created the administrator account first@example.com');
    expect(joined).toContain(`as first@example.com`);
    expect(screen).not.toContain('correct-horse-battery-staple');
    // the account exists on the engine: its password logs in
    const login = await fetch(`${fresh.url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: 'first@example.com', password: 'correct-horse-battery-staple' }) });
    expect(login.status).toBe(200);
  }, TEST_TIMEOUT);
});

describe('an engine nobody answers at', () => {
  it('at a terminal: says so at once, wrapped to the terminal, without asking for an email and a password first', async () => {
    // a port that was just free: nothing listens there
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const terminal = await terminalOn(url, {}, 'nobody', 44);
    const screen = await terminal.waitFor(/--url\.\s*$/m);
    expect(screen.replace(/\n\s*/g, ' ')).toContain(`skyflo chat: Cannot reach the Skyflo engine at ${url} (ECONNREFUSED). Start it with \`skyflo serve\`, or pass --url.`);
    expect(screen).not.toMatch(/Email|Log in to/);
    for (const row of screen.split('\n')) expect(row.length, screen).toBeLessThanOrEqual(44);
  }, TEST_TIMEOUT);
});

describe('skyflo chat in a 30-row terminal', () => {
  let terminal: Terminal;
  beforeAll(async () => {
    terminal = await terminalOn(stack.url, { SKYFLO_TOKEN: token }, 'main');
    await terminal.waitFor(/^› $/m);
  }, 120_000);

  it('a long approval card keeps its header and risks on screen; [m] pages through the rest of the diff', async () => {
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_delete', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', dry_run: false } }] } },
        { match: { toolResultContains: 'denied' }, reply: 'Left web alone.' },
      ],
    });
    await terminal.type('delete the web deployment');
    await terminal.keys('Enter');
    await terminal.waitAfter('delete the web deployment', /\[a\] approve/);
    const screen = await visible(terminal);
    // the whole card fits: its header and the keys are both on screen, the diff is cut with a count
    expect(screen).toMatch(/Approval needed: .*\(k8s_delete\)/);
    // [m] shows the whole diff from its first line: the card showed only the lines the delete changes
    expect(screen).toMatch(/\[m\] the whole diff/);
    expect(screen).not.toMatch(/\[m\] more of the diff/);
    // cut to fit: the card shows the lines the delete changes, and says how long the whole diff is
    expect(screen).toContain('diff (dry run): the lines it changes');
    const cut = /the whole diff: (\d+) lines \(\[m\]\)/.exec(screen);
    expect(cut, screen).not.toBeNull();
    const total = Number(cut![1]);

    // each page is followed by the keys, once (they were printed twice), and [m] is pressed once they are shown
    const keyBlocks = async () => ((await terminal.since('delete the web deployment')).match(/^╰─ \[a\] approve/gm) ?? []).length;
    let pages = 0;
    for (; pages < 10 && !/end of the diff/.test(await terminal.screen()); pages++) {
      const shown = await keyBlocks();
      await terminal.type('m');
      await waitFor(async () => ((await keyBlocks()) > shown ? true : undefined), () => terminal.screen());
    }
    const paged = await terminal.since('delete the web deployment');
    expect(paged).toMatch(new RegExp(`lines \\d+–\\d+ of ${total} \\(\\[m\\] more\\)`));
    expect(paged).toContain(`(end of the diff: ${total} lines)`);
    expect(await keyBlocks(), paged).toBe(pages + 1);
    // after the first page, [m] goes on from where it stopped
    expect(paged).toMatch(/\[m\] more of the diff/);

    await terminal.type('d');
    await terminal.waitAfter('delete the web deployment', /Why deny it\?/);
    await terminal.keys('Enter');
    await terminal.waitAfter('delete the web deployment', /Left web alone\.[\s\S]*^› $/m);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'name')).toBe('deployment.apps/web');
  }, TEST_TIMEOUT);

  it('a long one-paragraph answer shows a spinner, then its unfinished line while it streams', async () => {
    const words = Array.from({ length: 300 }, (_, index) => `word${index + 1}`).join(' ');
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: `${words}.`, delayMs: 1_500, tokenDelayMs: 30 } }] });
    await terminal.type('one long paragraph please');
    await terminal.keys('Enter');
    await terminal.waitAfter('one long paragraph please', /working…/);
    // part of the paragraph is on screen while the rest is still to come (the line has not ended)
    const partial = await terminal.waitAfter('one long paragraph please', /\bword20\b/);
    expect(partial).not.toContain('word300');
    const done = await terminal.waitAfter('one long paragraph please', /word300\.[\s\S]*^› $/m);
    // once complete, the line is shown once (the raw partial was replaced by the rendered paragraph)
    expect(done.match(/\bword20\b/g)).toHaveLength(1);
    expect(done).not.toContain('working…');
  }, TEST_TIMEOUT);

  it('/tools lists the agent\'s tools and /model shows the configured model', async () => {
    await terminal.type('/tools');
    await terminal.keys('Enter');
    const tools = await terminal.waitAfter('› /tools', /Changes: each shows its dry-run diff and waits for an approval[\s\S]*^› $/m);
    expect(tools).toMatch(/^\s+k8s_get\s+\S/m);
    expect(tools).toMatch(/Changes: each shows its dry-run diff and waits for an approval[\s\S]*k8s_delete/);
    await terminal.type('/model');
    await terminal.keys('Enter');
    const model = await terminal.waitAfter('› /model', /^› $/m);
    expect(model).toMatch(/openai-compatible\/sim-model \(from the environment \(LLM_MODEL\)\)/);
  }, TEST_TIMEOUT);
});

describe('skyflo chat -p in a pipeline', () => {
  const markdownScript = {
    rules: [
      { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', all_namespaces: false } }] } },
      { match: { toolName: 'k8s_get' }, reply: '## Deployments\n\nOnly **web** runs, with `2/2` replicas:\n\n- web: [nginx](https://nginx.org)\n- line 2\n- line 3\n' },
    ],
  };

  it('prints the answer as plain text (no Markdown syntax)', async () => {
    stack.llm.reset(markdownScript);
    const result = await runCli(['chat', '--url', stack.url, '-p', 'which deployments?'], { env: { SKYFLO_TOKEN: token } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Deployments\n\nOnly web runs, with 2/2 replicas:\n\n• web: nginx (https://nginx.org)\n• line 2\n• line 3\n');
    expect(result.stdout).not.toMatch(/\*\*|##|`/);
  }, TEST_TIMEOUT);

  it('`| head -1` ends it quietly: no EPIPE stack trace, status 0', async () => {
    stack.llm.reset(markdownScript);
    const skyflo = spawn(process.execPath, [skyfloBin, 'chat', '--url', stack.url, '-p', 'which deployments?'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', SKYFLO_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // head reads skyflo's stdout directly (one OS pipe, as a shell builds it) and closes it after one line
    const head = spawn('head', ['-1'], { stdio: [skyflo.stdout, 'pipe', 'inherit'] });
    let firstLine = '';
    head.stdout!.on('data', (chunk: Buffer) => (firstLine += chunk.toString()));
    let stderr = '';
    skyflo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => skyflo.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
    expect(firstLine).toMatch(/^Running: k8s_get /);
    expect(stderr).not.toMatch(/EPIPE|at .*\(.*:\d+:\d+\)|Error:/);
    expect(status).toBe(0);
  }, TEST_TIMEOUT);
});
