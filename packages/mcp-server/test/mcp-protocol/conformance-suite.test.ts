/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, issue 77 item 5) against `skyflo mcp`, the
 * command users run: started on 127.0.0.1, port 0, with a client token, on a kube-sim cluster. The suite's CLI has no
 * option for a header, so it reaches the server through a loopback proxy that adds `Authorization: Bearer <client
 * token>` and passes everything else (Host, Origin, SSE streams) through (support/bearer-proxy.ts).
 *
 * The scenarios are those that apply to a product server. The others call the suite's fixture tools, prompts and
 * resources (test_simple_text, test_prompt_with_arguments, test://template/{id}/data, json_schema_2020_12_tool…) that
 * only the SDKs' "everything" servers have, and logging-set-level needs the optional logging capability, which this
 * server does not declare (it sends no log messages). server-sse-polling calls the fixture test_reconnection too,
 * but its priming-event and retry checks look at the POST stream itself, so those two are asserted.
 * Every check of a scenario must pass: no FAILURE and no WARNING.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath, helmPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { startBearerProxy, type BearerProxy } from '../support/bearer-proxy.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const require = createRequire(import.meta.url);
const conformanceCli = path.join(path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
const node20Shim = fileURLToPath(new URL('../support/conformance-node20.mjs', import.meta.url));
const skyflo = skyfloEntry();

/** Scenarios a product server must pass whole. */
const productScenarios = ['server-initialize', 'ping', 'tools-list', 'prompts-list', 'resources-list', 'server-sse-multiple-streams', 'dns-rebinding-protection'];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  description: string;
  errorMessage?: string;
}

let harness: KubeHarness;
let directory: string;
let stopServer: () => Promise<void>;
let proxy: BearerProxy;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  directory = mkdtempSync(path.join(os.tmpdir(), 'skyflo-conformance-'));
  const clientToken = `conformance-${process.pid}-${Date.now()}`;
  const child = spawn(process.execPath, [skyflo, 'mcp', '--port', '0', '--host', '127.0.0.1', '--kubeconfig', harness.kubeconfigPath], {
    env: { ...process.env, MCP_CLIENT_TOKEN: clientToken, MCP_AUTH_TOKEN: '', SKYFLO_DATA_DIR: directory, KUBECTL_PATH: kubectlPath, HELM_PATH: helmPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk;
      const match = /listening at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    void exited.then(() => reject(new Error(`skyflo mcp exited: ${output}`)));
  });
  stopServer = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  proxy = await startBearerProxy(url, clientToken);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await stopServer?.();
  await harness?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Runs one scenario with the suite's CLI and returns its checks (checks.json, as the README says). */
async function runScenario(scenario: string): Promise<Check[]> {
  const results = path.join(directory, 'results');
  const child = spawn(process.execPath, ['--import', node20Shim, conformanceCli, 'server', '--url', proxy.url, '--scenario', scenario, '--output-dir', results], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const run = readdirSync(results).filter((name) => name.startsWith(`server-${scenario}-`)).sort().at(-1);
  expect(run, `no results for ${scenario}:\n${output}`).toBeDefined();
  return JSON.parse(readFileSync(path.join(results, run!, 'checks.json'), 'utf8')) as Check[];
}

const notPassed = (checks: Check[]) => checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING').map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? check.description}`);

describe('MCP conformance suite against skyflo mcp', () => {
  it.each(productScenarios)('passes %s with no failure and no warning', async (scenario) => {
    const checks = await runScenario(scenario);
    expect(checks.filter((check) => check.status === 'SUCCESS').length).toBeGreaterThan(0);
    expect(notPassed(checks)).toEqual([]);
  });

  it('primes POST SSE streams for resumption: an event id with empty data, and a retry field (server-sse-polling)', async () => {
    const checks = await runScenario('server-sse-polling');
    const status = (id: string) => checks.find((check) => check.id === id)?.status;
    expect(status('server-sse-priming-event')).toBe('SUCCESS');
    expect(status('server-sse-retry-field')).toBe('SUCCESS');
  });
});
