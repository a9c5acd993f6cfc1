/**
 * Keeps docs/api.md's "## Use the API" honest: every ```sh block there is parsed (curl flags, quoting and $VARS with
 * shell-quote, the `| sed | jq` tails with a small interpreter of the two jq filters the guide uses) and sent
 * with fetch — no shell — to a real engine from createEngine (PGlite, accounts, agent routes) on port 0, with
 * llm-sim scripted to answer the guide's questions and the fake MCP server as the cluster.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { parse, type ParseEntry } from 'shell-quote';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig } from '../../src/platform/config/index.ts';
import { createEngine, type Engine } from '../../src/create-engine.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { iterateSse, type SseFrame } from '../../src/testing/read-sse.ts';

const GUIDE_BASE = 'http://127.0.0.1:8080';

interface CurlRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface Example {
  /** the variable a `VAR=$(…)` line assigns */
  assigns?: string;
  request: CurlRequest;
  /** `sed -n 's/^data: //p'`: the output is the SSE data lines, one JSON document each */
  sseData: boolean;
  jqFilter?: string;
  source: string;
}

function readmeExamples(): string[] {
  const guide = readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8');
  const section = guide.split(/^## Use the API$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('docs/api.md has no "## Use the API" section');
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
}

/** Parses one line of the guide; `env` supplies the shell variables, and an unknown one fails the test. */
function parseExample(source: string, env: Record<string, string>): Example {
  const assignment = /^(\w+)=\$\((.*)\)$/s.exec(source);
  const command = assignment ? assignment[2]! : source;
  const tokens = parse(command, (name) => {
    if (!(name in env)) throw new Error(`docs/api.md uses $${name} before anything sets it: ${source}`);
    return env[name];
  });
  const stages: string[][] = [[]];
  for (const token of tokens as ParseEntry[]) {
    if (typeof token === 'string') stages.at(-1)!.push(token);
    else if ('op' in token && token.op === '|') stages.push([]);
    else throw new Error(`unsupported shell syntax ${JSON.stringify(token)} in: ${source}`);
  }
  const [curl, ...tail] = stages;
  let sseData = false;
  let jqFilter: string | undefined;
  for (const stage of tail) {
    if (stage.join(' ') === "sed -n s/^data: //p") sseData = true;
    else if (stage[0] === 'jq' && stage[1] === '-r' && stage.length === 3) jqFilter = stage[2];
    else throw new Error(`unsupported pipeline stage "${stage.join(' ')}" in: ${source}`);
  }
  return { ...(assignment ? { assigns: assignment[1] } : {}), request: parseCurl(curl!, source), sseData, ...(jqFilter ? { jqFilter } : {}), source };
}

function parseCurl(argv: string[], source: string): CurlRequest {
  if (argv[0] !== 'curl') throw new Error(`expected a curl command: ${source}`);
  const headers: Record<string, string> = {};
  const data: string[] = [];
  let method: string | undefined;
  let url: string | undefined;
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-s' || argument === '-N') continue;
    if (argument === '-X') method = argv[++index];
    else if (argument === '-H') {
      const header = argv[++index]!;
      const colon = header.indexOf(':');
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (argument === '-d') data.push(argv[++index]!);
    else if (/^https?:\/\//.test(argument)) url = argument;
    else throw new Error(`unsupported curl argument "${argument}" in: ${source}`);
  }
  if (!url) throw new Error(`no URL in: ${source}`);
  // curl's own defaults: -d means POST with a form body unless a Content-Type says otherwise
  if (data.length > 0) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  return { method: method ?? (data.length > 0 ? 'POST' : 'GET'), url, headers, ...(data.length > 0 ? { body: data.join('&') } : {}) };
}

/** The two jq filters the guide uses: `.field` and `select(.type=="x") | .field`; anything else fails. */
function applyJq(filter: string, documents: unknown[]): string {
  const select = /^select\(\.type=="([\w.]+)"\) \| \.(\w+)$/.exec(filter);
  const field = /^\.(\w+)$/.exec(filter);
  // '.data[0].args_hash': a field of one item of a listed collection (GET /approvals/pending)
  const item = /^\.(\w+)\[(\d+)\]\.(\w+)$/.exec(filter);
  if (item) {
    return (documents as Array<Record<string, unknown>>)
      .map((document) => {
        const value = (document[item[1]!] as Array<Record<string, unknown>> | undefined)?.[Number(item[2])]?.[item[3]!];
        return value === undefined || value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value);
      })
      .join('\n');
  }
  if (!select && !field) throw new Error(`unsupported jq filter: ${filter}`);
  const out: string[] = [];
  for (const document of documents as Array<Record<string, unknown>>) {
    if (select && document['type'] !== select[1]) continue;
    const value = document[(select ? select[2] : field![1])!];
    out.push(value === undefined || value === null ? 'null' : typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out.join('\n');
}

let sim: LlmSim;
let mcp: FakeMcpServer;
let engine: Engine;
let base: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({
    rules: [
      { match: { toolName: 'k8s_get' }, reply: 'Only web is running, with 2/2 replicas ready.' },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale_web', name: 'k8s_scale', arguments: { name: 'web', replicas: 3, namespace: 'default' } }] } },
      { match: { toolName: 'k8s_scale' }, reply: 'web now runs 3 replicas.' },
      { match: { lastRole: 'user', userContains: 'Which deployments' }, reply: { toolCalls: [{ id: 'call_get_deployments', name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } },
      { match: { lastRole: 'user', userContains: 'Scale the web' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      // the stop example needs a run that is still going
      { match: { lastRole: 'user', userContains: 'Watch' }, failure: { kind: 'hang' } },
    ],
  });
  mcp = await startFakeMcpServer({ replicas: { web: 2 } });
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'skyflo-readme-')),
    LLM_MODEL: 'openai-compatible/sim-model',
    LLM_HOST: sim.url,
    TITLE_GENERATION_ENABLED: 'false',
    LOG_LEVEL: 'silent',
  });
  engine = await createEngine(config, { tools: createToolGateway({ client: mcp.client }), logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) });
  base = await engine.listen();
});

afterAll(async () => {
  await engine?.close();
  await mcp?.close();
  await sim?.close();
});

async function send(request: CurlRequest): Promise<{ status: number; body: string }> {
  expect(request.url.startsWith(GUIDE_BASE), `docs/api.md examples talk to ${GUIDE_BASE} (npm start)`).toBe(true);
  const response = await fetch(base + request.url.slice(GUIDE_BASE.length), { method: request.method, headers: request.headers, ...(request.body !== undefined ? { body: request.body } : {}) });
  return { status: response.status, body: await response.text() };
}

const sseEvents = (body: string) => body.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);

it('runs every curl example of docs/api.md "## Use the API" against a real engine, in order', async () => {
  const sources = readmeExamples();
  const env: Record<string, string> = {};
  const routes: string[] = [];
  let awaitingStream: ReturnType<typeof iterateSse> | undefined;

  for (const source of sources) {
    // The stop example needs a live run: start one (not from the guide) and give its run_id as $RUN.
    if (source.includes('/agent/stop')) {
      const response = await fetch(`${base}/api/v1/agent/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env['TOKEN']}`, 'content-type': 'application/json' },
        body: JSON.stringify({ conversation_id: env['CONVERSATION'], messages: [{ role: 'user', content: 'Watch the rollout of web' }] }),
      });
      awaitingStream = iterateSse(response);
      for (let item = await awaitingStream.next(); !item.done; item = await awaitingStream.next()) {
        if (item.value.event === 'ready') env['RUN'] = String(item.value.data['run_id']);
        if (item.value.event === 'generation.start') break;
      }
    }

    const example = parseExample(source, env);
    routes.push(`${example.request.method} ${new URL(example.request.url).pathname.replace(env['CALL'] ?? '\u0000', '{call_id}').replace(env['SCHEDULE'] ?? '\u0000', '{id}')}`);
    const { status, body } = await send(example.request);
    expect(status, `${source}\n→ ${body.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
    expect(status, `${source}\n→ ${body.slice(0, 300)}`).toBeLessThan(300);

    if (example.assigns) {
      const documents = example.sseData ? sseEvents(body) : [JSON.parse(body) as unknown];
      const value = applyJq(example.jqFilter ?? '.', documents);
      expect(value, `${example.assigns} from: ${source}`).toMatch(/^[^\n]+$/);
      expect(value).not.toBe('null');
      env[example.assigns] = value;
    }

    const path = new URL(example.request.url).pathname;
    if (path.endsWith('/auth/register/register')) expect(JSON.parse(body)).toMatchObject({ email: 'admin@example.com', role: 'admin' });
    if (path.endsWith('/agent/chat') && !example.assigns) {
      const events = sseEvents(body);
      expect(events.map((event) => event['type'])).toContain('tool.result');
      expect(events.some((event) => event['type'] === 'tool.awaiting_approval')).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'completed', status: 'completed' });
      expect(mcp.calls.map((call) => call.name)).toEqual(['k8s_get']);
    }
    if (path.endsWith('/agent/chat') && example.assigns === 'CALL') {
      expect(env['CALL']).toBe('call_scale_web');
      expect(mcp.replicas.get('web')).toBe(2);
    }
    if (path.includes('/agent/approvals/')) {
      expect(sseEvents(body).at(-1)).toMatchObject({ type: 'completed', status: 'completed' });
      expect(mcp.replicas.get('web')).toBe(3);
    }
    if (path.endsWith('/agent/stop')) {
      expect(JSON.parse(body)).toEqual({ status: 'stopped', conversation_id: env['CONVERSATION'], run_id: env['RUN'] });
      const rest: SseFrame[] = [];
      for (let item = await awaitingStream!.next(); !item.done; item = await awaitingStream!.next()) rest.push(item.value);
      expect(rest.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    }
    if (path.endsWith('/conversations') && example.request.method === 'GET') {
      expect((JSON.parse(body) as { data: Array<{ id: string }> }).data.map((item) => item.id)).toContain(env['CONVERSATION']);
    }
  }

  // Every example the guide promises is there, in this order.
  expect(routes).toEqual([
    'POST /api/v1/auth/register/register',
    'POST /api/v1/auth/jwt/login',
    'POST /api/v1/conversations',
    'POST /api/v1/agent/chat',
    'POST /api/v1/agent/chat',
    'GET /api/v1/approvals/pending',
    'POST /api/v1/agent/approvals/{call_id}',
    'POST /api/v1/agent/stop',
    'GET /api/v1/conversations',
    'POST /api/v1/schedules',
    'POST /api/v1/schedules/{id}/run',
    'GET /api/v1/schedules/{id}/runs',
  ]);
  const timeline = (await engine.storage.conversations.get(env['CONVERSATION']!))!.timeline;
  expect(timeline.filter((entry) => entry.type === 'user').map((entry) => entry.content)).toEqual([
    'Which deployments are running in the default namespace?',
    'Scale the web deployment to 3 replicas',
    'Watch the rollout of web',
  ]);
});
