/**
 * P7: resident memory of `skyflo serve` (PGlite, no LLM) right after start, and after N conversations created and
 * written through the HTTP API (each with a 10-entry timeline via the storage-backed routes). Prints figures.
 *   npx tsx bench/engine-rss.ts [conversations=500]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServe } from './support/serve-process.ts';

const conversations = Number(process.argv[2] ?? 500);

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
};

const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-rss-'));
const serve = startServe(dataDir);
const { child } = serve;

try {
  const url = await serve.healthy({ pollMs: 20 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const afterStart = rssMiB(child.pid!);

  const api = `${url}/api/v1`;
  await fetch(`${api}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench password' }) });
  const login = await fetch(`${api}/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: 'bench@example.com', password: 'bench password' }) });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  for (let index = 0; index < conversations; index += 1) {
    const created = (await (await fetch(`${api}/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string };
    await fetch(`${api}/conversations/${created.id}`, { method: 'PATCH', headers, body: JSON.stringify({ title: `Conversation ${index}`, conversation_metadata: { index } }) });
  }
  const listed = (await (await fetch(`${api}/conversations?limit=50`, { headers })).json()) as { data: unknown[] };
  if (listed.data.length !== Math.min(50, conversations)) throw new Error('conversations were not stored');
  const afterLoad = rssMiB(child.pid!);
  console.log(`P7 RSS after start: ${afterStart.toFixed(0)} MiB (engine + embedded MCP server + PGlite, one process)`);
  console.log(`P7 RSS after ${conversations} conversations created and renamed over HTTP: ${afterLoad.toFixed(0)} MiB (+${(afterLoad - afterStart).toFixed(0)} MiB)`);
} finally {
  await serve.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

