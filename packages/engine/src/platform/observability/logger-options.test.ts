/**
 * Logs a person can read in a terminal, JSON for collectors (issue 8): LOG_FORMAT=auto picks by whether stdout is a
 * TTY; pretty lines carry the level and message, never a query string's secret (the serializers still apply).
 */
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { loggerOptions } from './logger-options.ts';

async function logOneRequest(format: string, isTty: boolean): Promise<string> {
  const config = loadConfig({ LOG_FORMAT: format, LOG_LEVEL: 'info' });
  const destination = new PassThrough();
  const chunks: string[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const options = await loggerOptions(config.server, { isTty, destination });
  // JSON mode has no stream of its own: give pino the same destination so both modes are read the same way
  const app = Fastify({ logger: options && typeof options === 'object' && !('stream' in options) ? { ...options, stream: destination } : options });
  app.get('/hello', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/hello?access_token=secret-in-query' });
  app.log.info({ conversation: 'c-1' }, 'agent run finished');
  await app.close();
  await new Promise((resolve) => setImmediate(resolve));
  return chunks.join('');
}

describe('LOG_FORMAT', () => {
  it('auto is readable lines on a terminal', async () => {
    const text = await logOneRequest('auto', true);
    expect(text).toMatch(/INFO.*agent run finished/);
    expect(text).not.toMatch(/^\{"level"/m);
    expect(text).not.toContain('secret-in-query');
  });

  it('auto is JSON lines when stdout is not a terminal (a collector reads it)', async () => {
    const text = await logOneRequest('auto', false);
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: number });
    expect(lines.some((line) => line.msg === 'agent run finished' && line.level === 30)).toBe(true);
    expect(text).not.toContain('secret-in-query');
  });

  it('pretty and json force either way, and a typo is named', async () => {
    expect(await logOneRequest('pretty', false)).toMatch(/INFO.*agent run finished/);
    const json = await logOneRequest('json', true);
    expect(() => JSON.parse(json.trim().split('\n')[0]!)).not.toThrow();
    expect(() => loadConfig({ LOG_FORMAT: 'colour' })).toThrow(/LOG_FORMAT: must be auto, json or pretty/);
  });
});
