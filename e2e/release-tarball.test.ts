/**
 * The npm release: `npm pack` of packages/cli, installed globally into a temporary prefix, runs `skyflo serve`,
 * `skyflo mcp` and `skyflo sandbox` from the compiled bundle, with nothing from the checkout on its module path.
 * kubectl and helm are found on PATH (here the repository's pinned ones in .tools/bin), as the README documents.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { allTools } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRelease, packRelease, startCommand, waitForJson, type InstalledRelease, type RunningCommand } from './support/release-tarball.ts';

const run = promisify(execFile);
const workDir = mkdtempSync(path.join(tmpdir(), 'skyflo-release-'));
const toolsBin = path.join(repoRoot, '.tools', 'bin');
let release: InstalledRelease;
let sim: KubeSim;
const running: RunningCommand[] = [];

/** The environment of a clean shell: no NODE_PATH, no workspace; kubectl and helm on PATH. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: [path.dirname(release.bin), toolsBin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: workDir,
    KUBECACHEDIR: mkdtempSync(path.join(workDir, 'kubecache-')),
    ...extra,
  };
}

beforeAll(async () => {
  const tarball = await packRelease(mkdtempSync(path.join(workDir, 'pack-')));
  release = await installRelease(tarball);
  sim = await startKubeSim({ port: 0, kubeconfigPath: path.join(workDir, 'kubeconfig') });
}, 600_000);

afterAll(async () => {
  for (const command of running) await command.stop();
  await sim?.close();
  rmSync(workDir, { recursive: true, force: true });
  if (release) rmSync(release.prefix, { recursive: true, force: true });
  // Stopping three compiled processes (each flushes its database) waits on them, however busy the machine is.
}, 300_000);

describe('the npm tarball installed globally', { timeout: 180_000 }, () => {
  it('holds the compiled bundle and its assets, not the TypeScript sources', async () => {
    const { stdout } = await run('tar', ['-tzf', release.tarball], { maxBuffer: 16 * 1024 * 1024 });
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/skyflo.js');
    expect(files).toContain('package/dist/assets/packages/engine/drizzle/meta/_journal.json');
    expect(files).toContain('package/dist/assets/packages/sandbox/src/kube-sim/scenarios/demo.yaml');
    expect(files.some((file) => file.startsWith('package/src/'))).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(release.prefix, 'lib', 'node_modules', '@skyflo', 'cli', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).some((name) => name.startsWith('@skyflo/'))).toBe(false);
  });

  it('skyflo serve answers /api/v1/health on a fresh PGlite data dir', async () => {
    const serve = startCommand(release.bin, ['serve', '--port', '0'], userEnv({ SKYFLO_DATA_DIR: path.join(workDir, 'serve-data'), KUBECONFIG: sim.kubeconfigPath! }));
    running.push(serve);
    const [, url] = await serve.waitFor(/listening on (http:\/\/[^"\s]+)/);
    const health = (await waitForJson(`${url}/api/v1/health`)) as { status: string };
    expect(health.status).toBe('ok');
    // zod's own English messages ship: the bundle keeps its `en` locale and drops the other fifty (build-release.mjs)
    const refused = await fetch(`${url}/api/v1/auth/register/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.com', password: 'release-test-password', full_name: ['First User'] }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toBe('full_name: Invalid input: expected string, received array');
    // The engine really uses its database: registering the first user makes an admin.
    const registered = await fetch(`${url}/api/v1/auth/register/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'first@example.com', password: 'release-test-password', full_name: 'First User' }),
    });
    expect(registered.status).toBe(201);
    // Signing in sets the refresh cookie: @fastify/cookie loads `cookie` at run time, which the bundle must leave to
    // Node (inlined, every sign-in of the compiled release answered 500)
    const signedIn = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: 'first@example.com', password: 'release-test-password' }) });
    expect(signedIn.status, await signedIn.clone().text()).toBe(200);
    expect(((await signedIn.json()) as { access_token?: string }).access_token).toEqual(expect.any(String));
    expect(signedIn.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    // the Command Center ships in the release: / and a client-side route answer with the app
    for (const page of ['/', '/settings']) {
      const html = await (await fetch(`${url}${page}`)).text();
      expect(html).toContain('<title>Skyflo Command Center</title>');
    }
    await serve.stop();
  });

  it('skyflo mcp lists the whole catalogue over stdio and its tools reach the cluster with kubectl/helm from PATH', async () => {
    const transport = new StdioClientTransport({ command: release.bin, args: ['mcp', '--stdio'], env: userEnv({ KUBECONFIG: sim.kubeconfigPath! }), stderr: 'pipe' });
    const client = new Client({ name: 'release-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(allTools.map((tool) => tool.name).sort());
      const nodes = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'nodes' } });
      expect(nodes.isError).toBeFalsy();
      expect(JSON.stringify(nodes.content)).toMatch(/Ready/);
      const releases = await client.callTool({ name: 'helm_list_releases', arguments: { all_namespaces: true } });
      expect(releases.isError, JSON.stringify(releases.content)).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('skyflo sandbox serves against its own simulated cluster (kube-sim ships in the bundle)', async () => {
    const dataDir = path.join(workDir, 'sandbox-data');
    const sandbox = startCommand(release.bin, ['sandbox', '--port', '0'], userEnv({ SKYFLO_DATA_DIR: dataDir }));
    running.push(sandbox);
    const [, url] = await sandbox.waitFor(/Skyflo sandbox is running at (http:\/\/\S+)/);
    const health = (await waitForJson(`${url}/api/v1/health`)) as { status: string };
    expect(health.status).toBe('ok');
    const { stdout } = await run(kubectlPath, ['--kubeconfig', path.join(dataDir, 'sandbox.kubeconfig'), 'get', 'deployments', '-n', 'prod', '-o', 'name'], { env: userEnv() });
    expect(stdout).toContain('deployment.apps/checkout');
    await sandbox.stop();
  });
});
