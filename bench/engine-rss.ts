/**
 * P7: resident memory of `skyflo serve` (no LLM) right after start, and after N conversations created and renamed
 * through the HTTP API by one user. First row: PGlite in a fresh data dir (the default); second row: Postgres on
 * 127.0.0.1:5432 (POSTGRES_DATABASE_URL set, so no PGlite in the process), skipped with the reason when none answers.
 * Prints figures.
 *   npx tsx bench/engine-rss.ts [conversations=500]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectOk, machineLoad } from './support/bench-header.ts';
import { postgresUnavailable, withBenchPostgresDatabase } from './support/bench-postgres.ts';
import { startServe } from './support/serve-process.ts';

const conversations = Number(process.argv[2] ?? 500);

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
};

// Every conversation is created and renamed by one user in a burst: the per-user limits (30 new conversations a
// minute, 600 requests a minute) would answer most of them with 429, so they are raised for the measured process.
const raisedLimits = { CONVERSATIONS_PER_MINUTE: String(conversations + 10), RATE_LIMIT_PER_MINUTE: String(conversations * 2 + 100) };

async function measure(storage: string, extraEnv: Record<string, string>): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-rss-'));
  const serve = startServe(dataDir, { ...raisedLimits, ...extraEnv });
  try {
    const url = await serve.healthy({ pollMs: 20 });
    // let start-up work that runs after the health check (lazy imports, the checkpointer) settle before sampling
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const afterStart = rssMiB(serve.child.pid!);

    const api = `${url}/api/v1`;
    const credentials = { email: 'bench@example.com', password: 'rss-measure-passphrase-7' };
    await expectOk(await fetch(`${api}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) }), 'registering the bench user');
    const login = await expectOk(await fetch(`${api}/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: credentials.email, password: credentials.password }) }), 'logging in');
    const { access_token: token } = (await login.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let index = 0; index < conversations; index += 1) {
      const created = (await (await expectOk(await fetch(`${api}/conversations`, { method: 'POST', headers, body: '{}' }), `creating conversation ${index}`)).json()) as { id: string };
      const rename = JSON.stringify({ title: `Conversation ${index}`, conversation_metadata: { index } });
      await expectOk(await fetch(`${api}/conversations/${created.id}`, { method: 'PATCH', headers, body: rename }), `renaming conversation ${index}`);
    }
    const listed = (await (await expectOk(await fetch(`${api}/conversations?limit=50`, { headers }), 'listing conversations')).json()) as { data: unknown[] };
    const expected = Math.min(50, conversations);
    if (listed.data.length !== expected) throw new Error(`listed ${listed.data.length} conversations, expected ${expected}: they were not stored`);
    const afterLoad = rssMiB(serve.child.pid!);
    console.log(
      `  ${storage.padEnd(8)} RSS after start ${afterStart.toFixed(0)} MiB; after ${conversations} conversations created and renamed over HTTP ` +
        `${afterLoad.toFixed(0)} MiB (+${(afterLoad - afterStart).toFixed(0)} MiB)`,
    );
  } finally {
    await serve.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`P7 engine RSS (engine + embedded MCP server + storage, one \`skyflo serve\` process); ${machineLoad()}`);
console.log(`   raised for this run: ${Object.entries(raisedLimits).map(([name, value]) => `${name}=${value}`).join(', ')} (one user creates every conversation)`);
await measure('PGlite', {});
const unavailable = await postgresUnavailable();
if (unavailable) console.log(`  Postgres row skipped: ${unavailable}`);
else await withBenchPostgresDatabase((url) => measure('Postgres', { POSTGRES_DATABASE_URL: url }));
