/**
 * Issue 79: one log line per request (Fastify wrote two: "incoming request", then "request completed"), with what
 * both said — method, path without its query string, request id, client address, status and time — and nothing from
 * the query string.
 */
import { Writable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logSerializers } from '../../src/platform/observability/log-serializers.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  engine = await startTestEngine({ lite, logger: { level: 'info', serializers: logSerializers, stream } });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('request log', () => {
  it('writes one line per request, with the path but not the query string', async () => {
    const before = lines.length;
    const response = await engine.request({ method: 'GET', url: '/api/v1/health?token=secret-in-the-query' });
    expect(response.statusCode).toBe(200);
    const written = lines.slice(before).filter((line) => line['req'] !== undefined || line['res'] !== undefined);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: '/api/v1/health' }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
    expect(JSON.stringify(lines.slice(before))).not.toContain('secret-in-the-query');
  });
});
