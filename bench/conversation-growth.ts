/**
 * A turn's cost as the conversation grows (issue 79 item 6): one user chats in one conversation through the shipped
 * `skyflo serve` (JWT, titles on, signed audit, PGlite in a data dir or Postgres), each turn a short question and a
 * 20-token answer from llm-sim. At each size (the timeline's entries before the turn: 2 per turn) the engine process's
 * CPU per turn over a block of `--block` turns, and the median time to the completed frame, then the fitted growth.
 * Every turn must complete with its whole answer; the last turn's timeline is read back and must hold every entry.
 * Goal: flat — a turn's work does not grow with the history it carries (issue 79 measured 45 → 58 ms up to 500).
 *   npx tsx bench/conversation-growth.ts [--sizes 2,100,500] [--block 10] [--storage pglite|postgres] [--allow-stale-build]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@skyflo/testkit/tools';
import { createPgliteStorage, createPostgresStorage, iterateSse } from '@skyflo/engine/testing';
import { expectOk, failBench, machineLoad, printBenchHeader } from './support/bench-header.ts';
import { withBenchPostgresDatabase } from './support/bench-postgres.ts';
import { runOnBackends } from './support/backend-runs.ts';
import { spawnAndWait } from './support/bench-streams.ts';
import { checkTokens, seedBenchUsers } from './support/bench-users.ts';
import { growthLine } from './support/growth.ts';
import { shippedBuild } from './support/shipped-build.ts';
import { newJwtSecret, settingsLine, startShippedServe } from './support/shipped-serve.ts';
import { median } from './support/statistics.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '2,100,500' }, block: { type: 'string', default: '10' }, storage: { type: 'string' }, 'allow-stale-build': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number).sort((a, b) => a - b);
const block = Number(values.block);
if (sizes.length < 2 || sizes.some((size) => !Number.isInteger(size) || size < 2 || size % 2 !== 0)) failBench('--sizes must be two or three even numbers of timeline entries, e.g. 2,100,500');
if (!Number.isInteger(block) || block < 3) failBench('--block must be a whole number of turns, 3 or more');
if (values.storage && values.storage !== 'pglite' && values.storage !== 'postgres') failBench(`--storage must be pglite or postgres, not ${values.storage}`);
const build = shippedBuild({ allowStale: values['allow-stale-build'] });
// Fewer requests a minute than a 500-entry conversation in one go needs: raised for this one user, and said.
const env = { RATE_LIMIT_PER_MINUTE: '100000' };
printBenchHeader('conversation-growth', values.storage === 'postgres' ? 'Postgres' : values.storage === 'pglite' ? 'PGlite in a data dir' : 'PGlite in a data dir, then Postgres');
console.log(`  sizes ${sizes.join(', ')} timeline entries before the turn; ${block} turns measured at each; answers of 20 tokens at 2,000 tokens/s`);

async function run(backend: 'PGlite' | 'Postgres', database?: string): Promise<boolean> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-conversation-'));
  const script = path.join(scratch, 'script.json');
  await writeFile(script, JSON.stringify({ rules: [{ match: { userMatches: '^User: ' }, reply: '{"title": "A long conversation"}' }, { match: { always: true }, reply: { mode: 'stream', tokens: 20, tokensPerSecond: 2000 } }] }));
  const sim = await spawnAndWait([path.join(repoRoot, 'testkit/bin/llm-sim.mjs'), '--port', '0', '--script', script], (line) => /listening on (\S+)/.exec(line)?.[1]);
  const secret = newJwtSecret();
  const dataDir = path.join(scratch, 'data');
  try {
    const storage = database ? await createPostgresStorage({ url: database }) : await createPgliteStorage({ dataDir });
    const [user] = await seedBenchUsers(storage, 1, secret).finally(() => storage.close());
    const serve = await startShippedServe({ build, dataDir, jwtSecret: secret, llmUrl: sim.value, env, ...(database ? { postgresUrl: database } : {}) });
    try {
      await checkTokens(serve.api, user!);
      console.log(`  ${backend}: ${settingsLine({ build, llmUrl: sim.value, env, ...(database ? { postgresUrl: database } : {}) })}`);
      let conversationId: string | undefined;
      let entries = 0;
      /** one turn; the time to its completed frame */
      const turn = async (): Promise<number> => {
        const started = performance.now();
        const response = await expectOk(
          await fetch(`${serve.api}/agent/chat`, {
            method: 'POST',
            headers: { authorization: `Bearer ${user!.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ messages: [{ role: 'user', content: `question ${entries / 2 + 1}: how are the pods?` }], ...(conversationId ? { conversation_id: conversationId } : {}) }),
          }),
          'a turn',
        );
        let status = 'no completed frame';
        let tokens = 0;
        for await (const frame of iterateSse(response)) {
          if (frame.event === 'ready') conversationId ??= String(frame.data['conversation_id']);
          if (frame.event === 'token') tokens = Number(frame.data['tokens_generated']) || tokens + 1;
          if (frame.event === 'completed') status = String(frame.data['status']);
        }
        if (status !== 'completed' || tokens !== 20) throw new Error(`turn ${entries / 2 + 1} ended "${status}" after ${tokens} of 20 tokens`);
        entries += 2;
        return performance.now() - started;
      };
      const measured: Array<{ size: number; cpuMs: number; medianMs: number }> = [];
      for (const size of sizes) {
        while (entries < size - 2) await turn();
        const cpuBefore = serve.cpu().cpuMs;
        const times: number[] = [];
        for (let index = 0; index < block; index += 1) times.push(await turn());
        measured.push({ size, cpuMs: (serve.cpu().cpuMs - cpuBefore) / block, medianMs: median(times) });
        console.log(`    ${backend} ${size} entries: engine CPU ${measured.at(-1)!.cpuMs.toFixed(1)} ms per turn, median ${measured.at(-1)!.medianMs.toFixed(1)} ms to the completed frame; ${machineLoad()}`);
      }
      const detail = (await (await expectOk(await fetch(`${serve.api}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${user!.token}` } }), 'reading the conversation back')).json()) as { messages: unknown[] };
      if (detail.messages.length < entries) throw new Error(`the conversation reads back ${detail.messages.length} entries after ${entries} were written`);
      const cpu = growthLine(`${backend} engine CPU per turn`, measured.map((point) => ({ size: point.size, value: point.cpuMs })), (ms) => `${ms.toFixed(1)} ms`, { maxRatio: 1.5, why: 'a turn does not grow with the history' });
      console.log(cpu.line);
      console.log(growthLine(`${backend} time to the completed frame`, measured.map((point) => ({ size: point.size, value: point.medianMs })), (ms) => `${ms.toFixed(1)} ms`).line);
      return cpu.met;
    } finally {
      await serve.stop();
    }
  } finally {
    sim.child.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await runOnBackends(values.storage, (backend) => (backend === 'PGlite' ? run('PGlite') : withBenchPostgresDatabase((url) => run('Postgres', url))));
