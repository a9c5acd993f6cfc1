/**
 * Issue 79 item 3 (and issue 75 item 7): /audit/verify over a large trail never stalls the engine. The walk yields
 * between short slices, so other requests are answered while it runs — shown by order of arrival, not by timing: the
 * other answers arrive between two progress lines of one verify. With Accept: application/x-ndjson it streams its
 * progress, each line with a signed checkpoint; `resume=<checkpoint>` goes on from one and checks only what follows,
 * finding a change made there; a checkpoint that is not the engine's is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { auditVerifyStreamLineSchema, type AuditVerifyStreamLine } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditInBulk } from '../../src/testing/bulk-audit.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const auditKey = generateKeyPairSync('ed25519').privateKey;
const bulk = 24_000;

let lite: PGlite;
let engine: TestEngine;
let url: string;
let token: string;
let total = 0;

/** Reads an NDJSON answer line by line; `onLine` sees each parsed line as it arrives. */
async function readLines(response: Response, onLine: (line: AuditVerifyStreamLine) => void | Promise<void>): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (text.trim()) await onLine(auditVerifyStreamLineSchema.parse(JSON.parse(text)));
    }
  }
}

const verify = (query: string, init: RequestInit = {}) =>
  fetch(`${url}/api/v1/audit/verify${query ? `?${query}` : ''}`, { ...init, headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson', ...(init.headers ?? {}) } });

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { SKYFLO_AUDIT_SIGNING_KEY: auditKey.export({ format: 'pem', type: 'pkcs8' }).toString() } });
  token = await engine.signUp('admin@example.com');
  await appendAuditInBulk({ query: (text, params) => lite.query(text, params), signingKey: auditKey, count: bulk, record: (index) => ({ action: index % 3 === 0 ? 'chat.started' : 'tool.executed', details: { n: index } }) });
  url = await engine.engine.app.listen({ port: 0, host: '127.0.0.1' });
  total = Number(((await lite.query<{ count: string | number }>('SELECT count(*) AS count FROM audit_events')).rows[0]!.count));
  expect(total).toBeGreaterThanOrEqual(bulk);
}, 180_000);

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('/audit/verify over a large trail', () => {
  it('streams progress with a checkpoint every progress_every records, then the report', async () => {
    const response = await verify('progress_every=5000');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines: AuditVerifyStreamLine[] = [];
    await readLines(response, (line) => void lines.push(line));
    const progress = lines.filter((line) => line.type === 'progress');
    expect(progress.map((line) => line.records_checked)).toEqual(Array.from({ length: Math.floor(total / 5000) }, (_, index) => (index + 1) * 5000));
    expect(progress.every((line) => line.head_sequence !== null && line.sequence <= line.head_sequence)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'report', ok: true, records_checked: total });
  });

  it('answers other requests while it runs: their answers arrive between two of its progress lines', async () => {
    const events: string[] = [];
    const others: Array<Promise<void>> = [];
    await readLines(await verify('progress_every=500'), (line) => {
      events.push(line.type);
      if (line.type === 'progress' && others.length === 0) {
        // the engine is busy verifying: an admin reads the trail's newest page and the health check meanwhile
        others.push(
          fetch(`${url}/api/v1/audit?limit=5&action=chat.*`, { headers: { authorization: `Bearer ${token}` } }).then(async (page) => {
            expect(page.status).toBe(200);
            expect(((await page.json()) as { data: Array<{ action: string }> }).data.map((record) => record.action)).toEqual(Array(5).fill('chat.started'));
            events.push('audit page answered');
          }),
          fetch(`${url}/api/v1/health`).then((health) => {
            expect(health.status).toBe(200);
            events.push('health answered');
          }),
        );
      }
    });
    await Promise.all(others);
    expect(events.at(-1)).toBe('report');
    for (const answered of ['audit page answered', 'health answered']) {
      const at = events.indexOf(answered);
      expect(at, events.join(', ')).toBeGreaterThan(events.indexOf('progress'));
      // the verify was still going when the other request was answered: progress followed it
      expect(events.slice(at + 1), events.join(', ')).toContain('progress');
    }
  });

  it('goes on from a checkpoint after a broken connection, and reports what a whole verify does', async () => {
    const whole: AuditVerifyStreamLine[] = [];
    await readLines(await verify(''), (line) => void whole.push(line));
    const stop = new AbortController();
    let checkpoint: string | undefined;
    await readLines(await verify('progress_every=10000', { signal: stop.signal }), (line) => {
      if (line.type === 'progress' && !checkpoint) {
        checkpoint = line.checkpoint;
        stop.abort();
      }
    }).catch((error: unknown) => expect((error as Error).name).toBe('AbortError'));
    expect(checkpoint).toBeDefined();
    const resumed: AuditVerifyStreamLine[] = [];
    await readLines(await verify(`resume=${encodeURIComponent(checkpoint!)}&progress_every=5000`), (line) => void resumed.push(line));
    // it checked what followed the checkpoint only: its first progress line counts on from 10,000
    expect(resumed.find((line) => line.type === 'progress')).toMatchObject({ records_checked: 15_000 });
    const { type: _w, ...wholeReport } = whole.at(-1) as Extract<AuditVerifyStreamLine, { type: 'report' }>;
    const { type: _r, ...resumedReport } = resumed.at(-1) as Extract<AuditVerifyStreamLine, { type: 'report' }>;
    expect(resumedReport).toEqual(wholeReport);
    expect(resumedReport).toMatchObject({ ok: true, records_checked: total });
  });

  it('refuses a checkpoint that is not the engine\'s, and finds a change made after the checkpoint it resumes from', async () => {
    const refused = await verify('resume=' + 'eyJhbGciOiJFZERTQSJ9.e30.' + 'A'.repeat(86));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/resume: not a checkpoint of \/audit\/verify signed by this engine/);

    let checkpoint: string | undefined;
    const stop = new AbortController();
    await readLines(await verify('progress_every=1000', { signal: stop.signal }), (line) => {
      if (line.type === 'progress' && !checkpoint) {
        checkpoint = line.checkpoint;
        stop.abort();
      }
    }).catch(() => undefined);
    // someone who owns the table changes a record well after the checkpoint
    await lite.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await lite.query(`UPDATE audit_events SET details = '{"n": "changed"}' WHERE sequence = (SELECT sequence FROM audit_events ORDER BY sequence LIMIT 1 OFFSET 20000)`);
    await lite.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    const resumed = await fetch(`${url}/api/v1/audit/verify?resume=${encodeURIComponent(checkpoint!)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ ok: false, broken_at: { position: 20_001, reason: expect.stringMatching(/changed after it was written/) } });
  });
});
