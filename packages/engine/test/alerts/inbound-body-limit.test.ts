/**
 * Issue 74 item 4, the inbound side: a webhook sender (Alertmanager with its API token, PagerDuty, or anyone who can
 * reach the URL) that streams a 300 MB body. The engine answers 413 naming BODY_LIMIT_BYTES once the limit is passed,
 * and stops reading: the sender is told while it still has almost all of its body left to send (it is never read into
 * memory, for the JSON routes nor for the raw-body routes that verify a signature).
 */
import { request as httpRequest } from 'node:http';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const limit = 64 * 1024;
const total = 300 * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 0x20);

let sim: LlmSim;
let team: TeamEngine;
let alertToken: string;

/** POSTs a chunked body of `total` bytes as fast as the engine takes it; stops writing once the answer arrives. */
function flood(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; written: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const request = httpRequest(`${team.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), written });
      });
    });
    // the engine closing the connection under a sender still writing is expected; only an error before any answer is one
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      if (!answered) request.end();
    };
    request.write('{"alerts": ["');
    pump();
  });
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim, { BODY_LIMIT_BYTES: String(limit), PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789', PAGERDUTY_RUN_AS: 'admin@example.com' });
  const admin = await team.engine.signUp('admin@example.com');
  alertToken = (await team.call(admin, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token;
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe('a 300 MB webhook body', () => {
  // issue 78: Alertmanager's route takes groups of any size up to its own 16 MiB (a 4xx is never retried), past which
  // it stops reading as every route does
  it.each([
    ['Alertmanager, with its token', '/api/v1/alerts/alertmanager', () => ({ authorization: `Bearer ${alertToken}` }), 16 * 1024 * 1024],
    ['PagerDuty (the raw body a signature is checked over)', '/api/v1/alerts/pagerduty', () => ({ 'x-pagerduty-signature': 'v1=00' }), limit],
  ])('%s: 413 naming the limit, and the engine stopped reading early', async (_sender, path, headers, routeLimit) => {
    const answer = await flood(path, headers());
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ detail: `Request body is larger than the limit of ${routeLimit} bytes`, category: 'user', retryable: false });
    expect(answer.written).toBeLessThan(32 * 1024 * 1024);
  });
});
