/**
 * Start-up cost as `skyflo serve` sees it: the agent's libraries (LangGraph and its checkpointer, the AI SDK, the MCP
 * server's tool catalogue) take ~1.3 s to import, more than everything else before /api/v1/health answers. They must
 * load once the engine listens (or on the first chat), not before; one static import anywhere in the engine's start-up
 * graph would load them all again before the engine can answer.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@skyflo/testkit/tools';
import { expect, it, vi } from 'vitest';

const bin = path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs');
const reporter = fileURLToPath(new URL('../fixtures/report-agent-loads.mjs', import.meta.url));

it('listens before loading LangGraph, the AI SDK or the MCP server, and loads them right after', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-lazy-agent-'));
  // A cluster nobody listens on: nothing here needs one, and nothing may leave 127.0.0.1.
  const kubeconfig = path.join(directory, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
  const child = spawn(process.execPath, ['--import', reporter, bin, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', HOME: directory, KUBECONFIG: kubeconfig, SKYFLO_DATA_DIR: path.join(directory, 'data'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    // Loaded after listening: the warm-up brings LangGraph in, which shows the reporter sees these loads at all.
    const exitedEarly = await vi.waitFor(
      () => {
        if (/\[listening\][\s\S]*\[agent-library-loaded\][^\n]*@langchain\/langgraph\//.test(stderr)) return undefined;
        if (child.exitCode !== null) return new Error(`skyflo serve exited with ${child.exitCode}:\n${stderr}`);
        throw new Error(`no [listening] followed by a LangGraph load yet:\n${stderr}`);
      },
      { timeout: 150_000, interval: 50 },
    );
    if (exitedEarly) throw exitedEarly;
    const beforeListening = stderr.slice(0, stderr.indexOf('[listening]'));
    // the first early load, with its URL, is enough to find the static import that pulled it in
    expect(/\[agent-library-loaded\].*/.exec(beforeListening)?.[0]).toBeUndefined();
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}, 240_000);
