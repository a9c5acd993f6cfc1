/**
 * docs/mcp-clients.md followed literally (issue 77 item 4): `skyflo mcp` started as the guide says (no token set, in a
 * directory of its own) generates the client token into ./.skyflo/mcp-client-token and prints its path; then each
 * client's configuration, taken from the guide's own code blocks (the token put in where the guide's `$(cat …)`,
 * `${input:…}` or `${env:…}` would put it, the port the server got for 8888), connects with the MCP SDK's client and
 * lists the tools. A client without the header gets the 401 the troubleshooting section describes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { kubectlPath, helmPath, repoRoot } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const guide = readFileSync(path.join(repoRoot, 'docs', 'mcp-clients.md'), 'utf8');
const skyflo = skyfloEntry();
const documentedUrl = 'http://127.0.0.1:8888/mcp';

let harness: KubeHarness;
let directory: string;
let stopServer: () => Promise<void>;
let url: string;
let tokenLine: string;
/** what `$(cat .skyflo/mcp-client-token)` gives in the directory the server was started in */
let token: string;
let environment: NodeJS.ProcessEnv;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  directory = mkdtempSync(path.join(os.tmpdir(), 'skyflo-clients-guide-'));
  // the guide's environment: no token set, the default data dir, the kubeconfig from $KUBECONFIG
  environment = { ...process.env, KUBECONFIG: harness.kubeconfigPath, KUBECTL_PATH: kubectlPath, HELM_PATH: helmPath };
  for (const name of ['MCP_CLIENT_TOKEN', 'MCP_AUTH_TOKEN', 'SKYFLO_DATA_DIR', 'MCP_OAUTH_ISSUER']) delete environment[name];
  const [command] = codeBlocks(section('1. Start the server'), 'sh');
  expect(command).toBe('skyflo mcp --port 8888');
  // port 0 instead of 8888: a test binds whatever port is free
  const child = spawn(process.execPath, [skyflo, 'mcp', '--port', '0'], { cwd: directory, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk;
      const listening = /listening at (http:\/\/\S+)/.exec(output);
      const line = /^Client token: .*$/m.exec(output);
      if (listening && line) {
        url = listening[1];
        tokenLine = line[0];
        resolve();
      }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    void exited.then(() => reject(new Error(`skyflo mcp exited: ${output}`)));
  });
  stopServer = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  token = readFileSync(path.join(directory, '.skyflo', 'mcp-client-token'), 'utf8').replace(/\n+$/, '');
}, 60_000);
afterAll(async () => {
  await stopServer?.();
  await harness?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** The guide's text from a heading to the next heading of the same or a higher level. */
function section(title: string): string {
  const start = guide.search(new RegExp(`^#{2,3} ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  expect(start, `heading "${title}"`).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(guide.slice(start))![0].length;
  const rest = guide.slice(guide.indexOf('\n', start) + 1);
  const end = rest.search(new RegExp(`^#{2,${level}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The fenced code blocks of a language in a piece of the guide, with shell line continuations joined. */
function codeBlocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1].replace(/\\\n\s*/g, '').trim());
}

/** What the shell or the client puts in place of the guide's placeholders, and our port for 8888. */
const resolved = (text: string) =>
  text
    .replaceAll('$(cat .skyflo/mcp-client-token)', token)
    .replaceAll('$SKYFLO_MCP_TOKEN', token)
    .replaceAll('${env:SKYFLO_MCP_TOKEN}', token)
    .replaceAll('${input:skyflo-mcp-token}', token)
    .replaceAll(documentedUrl, url);

/** Connects the SDK's client as the guide configured a client, and returns the names of the tools it lists. */
async function listToolsWith(serverUrl: string, headers: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: 'guide-follower', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { requestInit: { headers } }));
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

/** `--header "Name: Value"` → { Name: Value } */
function headerOf(command: string): Record<string, string> {
  const match = /--header "([^:"]+): ([^"]+)"/.exec(command);
  expect(match, command).not.toBeNull();
  return { [match![1]]: match![2] };
}

describe('docs/mcp-clients.md, followed literally', () => {
  it('gets the client token where the guide says: generated into .skyflo/mcp-client-token, readable only by its owner', () => {
    const file = path.join(directory, '.skyflo', 'mcp-client-token');
    expect(tokenLine).toBe(`Client token: ${file} (generated now; clients send "Authorization: Bearer <its contents>").`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(section('2. The client token')).toContain('export SKYFLO_MCP_TOKEN="$(cat .skyflo/mcp-client-token)"');
  });

  it('answers the curl check with the server\'s initialize result', async () => {
    const [curl] = codeBlocks(section('2. The client token'), 'sh');
    const command = resolved(curl);
    const headers = Object.fromEntries([...command.matchAll(/-H (?:"([^"]+)"|'([^']+)')/g)].map((match) => (match[1] ?? match[2]).split(/: (.*)/s).slice(0, 2)));
    const body = /-d '([^']+)'/.exec(command)![1];
    const target = /curl -s (\S+)/.exec(command)![1];
    const response = await fetch(target, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    const data = /^data: (.+)$/m.exec(await response.text())![1];
    expect(JSON.parse(data)).toMatchObject({ id: 1, result: { serverInfo: { name: 'skyflo-mcp' } } });
  });

  it('connects the MCP Inspector\'s configuration (web UI and CLI commands)', async () => {
    const commands = codeBlocks(section('MCP Inspector'), 'sh').map(resolved);
    expect(commands).toHaveLength(2);
    for (const command of commands) {
      expect(command).toMatch(/^npx @modelcontextprotocol\/inspector (--cli )?--transport http /);
      const serverUrl = /--server-url (\S+)/.exec(command)![1];
      expect(await listToolsWith(serverUrl, headerOf(command))).toContain('k8s_get');
    }
  });

  it('connects VS Code\'s mcp.json', async () => {
    const [json] = codeBlocks(section('VS Code'), 'json');
    const config = JSON.parse(json) as { inputs: Array<{ id: string; password: boolean }>; servers: Record<string, { type: string; url: string; headers: Record<string, string> }> };
    expect(config.inputs).toEqual([expect.objectContaining({ type: 'promptString', id: 'skyflo-mcp-token', password: true })]);
    const server = JSON.parse(resolved(JSON.stringify(config.servers['skyflo']))) as { type: string; url: string; headers: Record<string, string> };
    expect(server.type).toBe('http');
    expect(await listToolsWith(server.url, server.headers)).toContain('k8s_get');
  });

  it('connects Cursor\'s mcp.json', async () => {
    const [json] = codeBlocks(section('Cursor'), 'json');
    const server = (JSON.parse(resolved(json)) as { mcpServers: Record<string, { url: string; headers: Record<string, string> }> }).mcpServers['skyflo'];
    expect(await listToolsWith(server.url, server.headers)).toContain('k8s_get');
  });

  it('connects Claude Code\'s `claude mcp add`', async () => {
    const [command] = codeBlocks(section('Claude Code'), 'sh').map(resolved);
    const match = /^claude mcp add --transport http (\S+) (\S+) --header/.exec(command);
    expect(match, command).not.toBeNull();
    expect(match![1]).toBe('skyflo');
    expect(await listToolsWith(match![2], headerOf(command))).toContain('k8s_get');
  });

  it('serves a client that starts it over stdio, with no token', async () => {
    const vscode = /`(\{"servers": \{"skyflo": \{"type": "stdio"[^`]+)`/.exec(section('Without a token: stdio'))![1];
    const entry = (JSON.parse(vscode) as { servers: Record<string, { command: string; args: string[] }> }).servers['skyflo'];
    expect(entry.command).toBe('skyflo');
    // `skyflo` is this checkout's bin here
    const client = new Client({ name: 'guide-stdio', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [skyflo, ...entry.args], env: environment as Record<string, string>, cwd: directory, stderr: 'ignore' }));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('k8s_get');
    } finally {
      await client.close();
    }
  });

  it('answers a client that sends no token with the 401 the troubleshooting section names', async () => {
    expect(section('When it does not connect')).toContain('This server requires a bearer token');
    const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(/^This server requires a bearer token/);
    const wrong = await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer not-the-token', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(wrong.status).toBe(401);
    expect(section('When it does not connect')).toContain('The bearer token is not valid for this server');
    expect(((await wrong.json()) as { message: string }).message).toBe('The bearer token is not valid for this server.');
  });
});
