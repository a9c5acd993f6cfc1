/**
 * `skyflo chat` without a terminal (stdin and stdout are pipes): one-shot exit codes, plain and --json output,
 * approvals that cannot be asked, --approve-all (what it prints and sends), stored logins with token refresh,
 * a connection dropped mid-stream (re-attached to the run), listing and resuming conversations, and logout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentEventSchema } from '@skyflo/protocol';
import { startTcpRelay } from '@skyflo/testkit/tcp-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL, runCli, skyfloBin, startChatStack, waitFor, type ChatStack } from './harness.ts';

/** bounds a hang; a loaded machine may take minutes where an idle one takes seconds */
const TEST_TIMEOUT = 300_000;
let stack: ChatStack;
let token: string;
/** a pass-through proxy in front of the engine that records each request body */
let proxy: { url: string; bodies: Array<{ path: string; body: string }>; close(): Promise<void> };

function startRecordingProxy(target: string): Promise<typeof proxy> {
  const bodies: Array<{ path: string; body: string }> = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      bodies.push({ path: request.url ?? '', body });
      const upstream = http.request(new URL(request.url ?? '/', target), { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on('error', () => response.destroy());
      upstream.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => new Promise((done) => server.close(() => done())) }),
    ),
  );
}

const readOnlyScript = {
  rules: [
    { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', all_namespaces: false } }] } },
    { match: { toolName: 'k8s_get', toolResultContains: 'web' }, reply: 'Only **web** runs in default.' },
  ],
};
const scaleScript = (replicas: number) => ({
  rules: [
    { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas, namespace: 'default', dry_run: false } }] } },
    { match: { toolName: 'k8s_scale' }, reply: `web now has ${replicas} replicas.` },
  ],
});

beforeAll(async () => {
  stack = await startChatStack();
  token = await stack.token();
  proxy = await startRecordingProxy(stack.url);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await stack?.close();
}, 120_000);

beforeEach(() => {
  proxy.bodies.length = 0;
});

const withToken = () => ({ SKYFLO_TOKEN: token });

describe('one-shot exit codes', () => {
  it('0 when the run completes: a Running: line per tool call, then the answer as plain text', async () => {
    stack.llm.reset(readOnlyScript);
    const result = await runCli(['chat', '--url', stack.url, '-p', 'Which deployments run in default?'], { env: withToken() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Running: k8s_get {"resource_type":"deployments","namespace":"default","all_namespaces":false,"context":"kube-sim"}\nOnly web runs in default.\n');
  }, TEST_TIMEOUT);

  it('takes the question from stdin when it is not a terminal, and --json prints only validated events', async () => {
    stack.llm.reset(readOnlyScript);
    const result = await runCli(['chat', '--url', stack.url, '--json'], { env: withToken(), input: 'Which deployments run in default?\n' });
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => agentEventSchema.parse(JSON.parse(line)));
    expect(events[0]).toMatchObject({ type: 'ready' });
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['generation.start', 'tool.executing', 'tool.result', 'token', 'token.usage']));
    expect(events.at(-1)).toMatchObject({ type: 'completed', status: 'completed' });
  }, TEST_TIMEOUT);

  it('1 when the model fails, with the engine\'s reason on stderr', async () => {
    stack.llm.reset({ rules: [{ match: { always: true }, failure: { kind: 'status', status: 500 } }] });
    const result = await runCli(['chat', '--url', stack.url, '-p', 'Anything broken?'], { env: withToken() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/skyflo: error: .+/);
  }, TEST_TIMEOUT);

  it('1 when a change needs approval and nobody can be asked: it says so, shows the diff, and leaves the call pending', async () => {
    stack.llm.reset(scaleScript(5));
    const result = await runCli(['chat', '--url', stack.url, '-p', 'scale web to 5'], { env: withToken() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/approval needed for k8s_scale, but stdin is not a terminal/);
    expect(result.stderr).toMatch(/^\s+\+\s+replicas: 5$/m);
    expect(result.stderr).toMatch(/--approve-all \(throw-away clusters only\)/);
    const conversation = /conversation ([0-9a-f-]{36})/.exec(result.stderr)![1]!;
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).not.toBe('5');
    const detail = (await (await fetch(`${stack.url}/api/v1/conversations/${conversation}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { messages: Array<{ segments?: Array<{ toolExecution?: { tool: string; status: string } }> }> };
    const tools = detail.messages.flatMap((entry) => entry.segments ?? []).map((segment) => segment.toolExecution).filter(Boolean);
    expect(tools).toContainEqual(expect.objectContaining({ tool: 'k8s_scale', status: 'awaiting_approval' }));
  }, TEST_TIMEOUT);

  it('--approve-all approves, prints each approval, and sends it as automatic with the args hash; exit 0', async () => {
    stack.llm.reset(scaleScript(3));
    const result = await runCli(['chat', '--url', proxy.url, '-p', 'scale web to 3', '--approve-all'], { env: withToken() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/--approve-all: every change is approved without asking/);
    const approved = /--approve-all approved k8s_scale (\{.*\}) \(args hash [0-9a-f]{16}…\)/.exec(result.stderr);
    expect(JSON.parse(approved?.[1] ?? 'null')).toEqual({ name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default', dry_run: false, context: 'kube-sim' });
    expect(result.stdout).toMatch(/^Running: k8s_scale /m);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
    const decision = proxy.bodies.find((entry) => entry.path.startsWith('/api/v1/agent/approvals/'));
    expect(JSON.parse(decision!.body)).toMatchObject({ approve: true, automatic: true, args_hash: expect.stringMatching(/^[0-9a-f]{64}$/), conversation_id: expect.any(String) });
  }, TEST_TIMEOUT);

  it('1 when the run was stopped (Ctrl-C sends SIGINT to a piped process too)', async () => {
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: Array.from({ length: 300 }, (_, index) => `line ${index}`).join('\n'), tokenDelayMs: 25 } }] });
    const child = spawn(process.execPath, [skyfloBin, 'chat', '--url', stack.url, '-p', 'stream a lot'], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...withToken() }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor(() => stdout.includes('line 5') || undefined, () => stdout);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toContain('the run was stopped');
    expect(stdout).not.toContain('line 299');
  }, TEST_TIMEOUT);

  it('0 when the connection drops mid-stream: it re-attaches to the run (Last-Event-ID), every line printed once', async () => {
    // the client talks to the engine through a TCP relay that cuts every open connection at once
    const relay = await startTcpRelay(new URL(stack.url));
    try {
      stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: Array.from({ length: 60 }, (_, index) => `line ${index}`).join('\n'), tokenDelayMs: 25 } }] });
      let dropped = false;
      const result = await runCli(['chat', '--url', relay.url, '-p', 'stream sixty lines'], {
        env: withToken(),
        onStdout: (stdout) => {
          if (dropped || !stdout.includes('line 5\n')) return;
          dropped = true;
          relay.dropAll();
        },
      });
      expect(dropped).toBe(true);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/lost the stream \(The connection to the engine broke mid-stream: .*\); re-attaching to the run…/);
      for (let index = 0; index < 60; index += 1) expect(result.stdout.match(new RegExp(`^line ${index}$`, 'gm')), `line ${index}`).toHaveLength(1);
    } finally {
      await relay.close();
    }
  }, TEST_TIMEOUT);

  it('2 for contradictory options, and 1 with a clear message when not logged in', async () => {
    const contradictory = await runCli(['chat', '--url', stack.url, '--kubeconfig', stack.kubeconfig, '-p', 'hi']);
    expect(contradictory.code).toBe(2);
    expect(contradictory.stderr).toMatch(/--kubeconfig starts an embedded engine/);
    const anonymous = await runCli(['chat', '--url', stack.url, '-p', 'hi'], { env: { XDG_CONFIG_HOME: path.join(stack.dir, 'nobody') } });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/Not logged in to .*: run `skyflo chat --login` in a terminal once, or set SKYFLO_TOKEN/);
  }, TEST_TIMEOUT);

  it('1 for --resume of a conversation there is none of (or not yours), saying so and where the user\'s are listed', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const result = await runCli(['chat', '--url', stack.url, '--resume', missing, '-p', 'hi'], { env: withToken() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`skyflo chat: No conversation ${missing} that you can open (it does not exist, or it is another user's): skyflo chat --list, or /list in a session, shows yours.\n`);
  }, TEST_TIMEOUT);
});

describe('stored login, conversations and logout', () => {
  it('--logout without --url logs out of the engine the login is stored for, not the default port; with two stored it asks which', async () => {
    const issued = (await (await fetch(`${stack.url}/api/v1/auth/refresh/issue`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { refresh_token: string };
    const configHome = path.join(stack.dir, 'logout-saved-server');
    const folder = path.join(configHome, 'skyflo');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const file = path.join(folder, 'credentials.json');
    const login = { access_token: token, refresh_token: issued.refresh_token, email: EMAIL, saved_at: new Date().toISOString() };
    const env = { XDG_CONFIG_HOME: configHome };
    // the engine does not run on :8080, so "the default port" would be the wrong engine
    expect(new URL(stack.url).port).not.toBe('8080');

    // two stored logins: which one is meant is asked, nothing is forgotten
    writeFileSync(file, JSON.stringify({ version: 1, servers: { [stack.url]: login, 'http://127.0.0.1:9': login } }), { mode: 0o600 });
    const ambiguous = await runCli(['chat', '--logout'], { env });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`Logins are stored for ${stack.url}, http://127.0.0.1:9: pass --url with the one to log out of.`);
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { servers: object }).servers)).toHaveLength(2);

    writeFileSync(file, JSON.stringify({ version: 1, servers: { [stack.url]: login } }), { mode: 0o600 });
    const loggedOut = await runCli(['chat', '--logout'], { env });
    expect(loggedOut.code, loggedOut.stderr).toBe(0);
    expect(loggedOut.stdout).toBe(`Logged out of ${stack.url} (${file} no longer holds its tokens).\n`);
    expect(loggedOut.stdout + loggedOut.stderr).not.toMatch(/8080/);
    // the stored refresh token was ended on that engine, and forgotten locally
    const refresh = await fetch(`${stack.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: issued.refresh_token }) });
    expect(refresh.status).toBe(401);
    expect(() => readFileSync(file, 'utf8')).toThrow();

    const nothing = await runCli(['chat', '--logout'], { env });
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toBe(`No stored login to forget (${file} holds none).\n`);
  }, TEST_TIMEOUT);

  it('renews an expired access token with the stored refresh token, lists and resumes conversations, then logs out', async () => {
    // a login as the CLI stores it, but with an access token the engine no longer accepts
    const issued = (await (await fetch(`${stack.url}/api/v1/auth/refresh/issue`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { refresh_token: string };
    const configHome = path.join(stack.dir, 'stored-login');
    const folder = path.join(configHome, 'skyflo');
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const file = path.join(folder, 'credentials.json');
    writeFileSync(file, JSON.stringify({ version: 1, servers: { [stack.url]: { access_token: 'expired.token.value', refresh_token: issued.refresh_token, email: EMAIL, saved_at: new Date().toISOString() } } }));
    chmodSync(file, 0o644);
    const env = { XDG_CONFIG_HOME: configHome };

    stack.llm.reset(readOnlyScript);
    const first = await runCli(['chat', '--url', stack.url, '--json', '-p', 'Which deployments run in default?'], { env });
    expect(first.code, first.stderr).toBe(0);
    // the file was readable by others: narrowed, with a warning
    expect(first.stderr).toMatch(/was readable by other users \(mode 644\); restricted it to 0600/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const renewed = JSON.parse(readFileSync(file, 'utf8')) as { servers: Record<string, { access_token: string; refresh_token: string }> };
    expect(renewed.servers[stack.url]!.access_token).not.toBe('expired.token.value');
    expect(renewed.servers[stack.url]!.refresh_token).not.toBe(issued.refresh_token);
    const conversationId = (JSON.parse(first.stdout.split('\n')[0]!) as { conversation_id: string }).conversation_id;

    const listed = await runCli(['chat', '--url', stack.url, '--list'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(conversationId);

    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: 'Still only web.' }] });
    const resumed = await runCli(['chat', '--url', stack.url, '--resume', conversationId, '-p', 'And now?'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('Still only web.');
    // the model saw the earlier question: the same conversation went on
    expect(JSON.stringify(stack.llm.calls.at(-1)!.messages)).toContain('Which deployments run in default?');

    const refreshToken = (JSON.parse(readFileSync(file, 'utf8')) as { servers: Record<string, { refresh_token: string }> }).servers[stack.url]!.refresh_token;
    const loggedOut = await runCli(['chat', '--url', stack.url, '--logout'], { env });
    expect(loggedOut.code).toBe(0);
    expect(loggedOut.stdout).toMatch(/Logged out of/);
    // the stored refresh token was ended on the engine, and forgotten locally
    const refresh = await fetch(`${stack.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) });
    expect(refresh.status).toBe(401);
    expect(() => readFileSync(file, 'utf8')).toThrow();
  }, TEST_TIMEOUT);
});
