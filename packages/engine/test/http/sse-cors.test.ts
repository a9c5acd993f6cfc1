/**
 * Review finding: the SSE routes write their headers themselves (the reply is hijacked), and used to reflect any
 * Origin without credentials, so the allowed UI origin could not read a credentialed stream while every other
 * origin was echoed. They must follow the same CORS policy as the rest of the API.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;
let token: string;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite });
  token = await engine.signUp('owner@example.com');
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

const chat = (origin: string) =>
  engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, headers: { origin }, payload: { messages: [{ role: 'user', content: 'hi' }] } });

describe('CORS on the SSE routes', () => {
  it('an allowed origin gets its origin with credentials allowed, like every other route', async () => {
    const response = await chat('http://localhost:3000');
    expect(response.headers['content-type']).toContain('text/event-stream');
    expect(response.body).toContain('event: completed');
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('an origin that is not in CORS_ORIGINS is not echoed', async () => {
    const response = await chat('https://evil.example');
    expect(response.body).toContain('event: completed');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
