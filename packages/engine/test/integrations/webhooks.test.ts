/**
 * Outgoing webhooks (issue 24): an admin adds one as an integration (provider "webhook"); team events it subscribed
 * to are POSTed as JSON (conversation link, tool, redacted arguments, diff, risks) signed with HMAC-SHA256 in
 * X-Skyflo-Signature (timestamped: a replay outside 5 minutes is refused by the verifier), retried after a failure,
 * and recorded per delivery (status, attempts) and in the audit trail. No link-local or metadata URL; no secret in
 * any answer or row.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webhookSignatureProblem } from '../../src/app/integrations/webhook/webhook-signature.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

const SECRET = 'whsec-0123456789abcdef-signing';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  answered: number;
}

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** status codes the receiver answers, in order; 200 once they run out */
const answers: number[] = [];

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answered = answers.shift() ?? 200;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/skyflo`;
  sim.reset(scaleWebTo5Script);
});

afterAll(async () => {
  await team?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await sim?.close();
});

describe('outgoing webhooks', () => {
  let webhookId: string;

  it('only an admin adds one; link-local and metadata URLs are refused; the secret is never shown or stored in clear', async () => {
    const member = await team.member(admin, 'mia@example.com', 'member');
    const body = { provider: 'webhook', name: 'ops pager', metadata: { url: receiverUrl, events: ['approval.requested', 'approval.decided'] }, credentials: { secret: SECRET } };
    expect((await team.call(member, 'POST', '/integrations', body)).statusCode).toBe(403);
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[fe80::1]/hook']) {
      const refused = await team.call(admin, 'POST', '/integrations', { ...body, metadata: { ...body.metadata, url } });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json().detail).toMatch(/link-local or cloud metadata address/);
    }
    const badEvent = await team.call(admin, 'POST', '/integrations', { ...body, metadata: { ...body.metadata, events: ['everything'] } });
    expect(badEvent.json().detail).toMatch(/events\.0: events must be among approval\.requested/);

    const created = await team.call(admin, 'POST', '/integrations', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'webhook', name: 'ops pager', metadata: { url: receiverUrl, events: ['approval.requested', 'approval.decided'] }, status: 'active', credentials: { set: true, secret_last4: 'ning' } });
    webhookId = created.json().id;
    const listed = await team.call(member, 'GET', '/integrations');
    expect(listed.json()).toEqual([expect.objectContaining({ id: webhookId, provider: 'webhook' })]);
    expect(listed.body).not.toContain(SECRET);
    const rows = JSON.stringify((await team.lite.query('SELECT * FROM webhooks')).rows);
    expect(rows).not.toContain(SECRET);
  });

  it('posts a signed approval.requested (link, tool, redacted arguments, diff, risks), retries after a failure, records the delivery', async () => {
    answers.push(500);
    team.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await team.call(admin, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);

    await vi.waitFor(() => expect(received.filter((item) => item.headers['x-skyflo-event'] === 'approval.requested').map((item) => item.answered)).toEqual([500, 200]), { timeout: 30_000 });
    const [failed, delivered] = received;
    // the same delivery, re-signed for the retry
    expect(delivered!.headers['x-skyflo-delivery']).toBe(failed!.headers['x-skyflo-delivery']);
    expect(delivered!.body).toBe(failed!.body);
    const header = String(delivered!.headers['x-skyflo-signature']);
    expect(webhookSignatureProblem(SECRET, header, delivered!.body)).toBeUndefined();
    const payload = JSON.parse(delivered!.body);
    expect(payload).toMatchObject({
      event: 'approval.requested',
      data: {
        conversation_id: conversationId,
        conversation_url: `/chat/${conversationId}`,
        call_id: 'call_scale',
        tool: 'k8s_scale',
        args: { name: 'web', replicas: 5 },
        args_hash: awaiting.data['args_hash'],
        diff: awaiting.data['diff'],
        risks: awaiting.data['risks'] ?? [],
        policy_reason: awaiting.data['policy_reason'],
      },
    });

    // a replayed delivery (same body and signature, later than 5 minutes) and a changed body are refused by the verifier
    const later = new Date(Date.now() + 6 * 60_000);
    expect(webhookSignatureProblem(SECRET, header, delivered!.body, later)).toBe('timestamp outside the tolerance (replayed or clock skew)');
    expect(webhookSignatureProblem(SECRET, header, delivered!.body.replace('"replicas":5', '"replicas":0'))).toBe('signature does not match the body');
    expect(webhookSignatureProblem('another-secret-entirely', header, delivered!.body)).toBe('signature does not match the body');

    await vi.waitFor(async () => {
      const deliveries = (await team.call(admin, 'GET', `/integrations/${webhookId}/deliveries`)).json().data;
      expect(deliveries).toEqual([expect.objectContaining({ event: 'approval.requested', status: 'delivered', attempts: 2, response_status: 200 })]);
    });

    const decided = await readSse(new Response((await team.call(admin, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'] })).body));
    expect(decided.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    await vi.waitFor(() => expect(received.find((item) => item.headers['x-skyflo-event'] === 'approval.decided')).toBeDefined());
    const decision = JSON.parse(received.find((item) => item.headers['x-skyflo-event'] === 'approval.decided')!.body);
    expect(decision.data).toMatchObject({ call_id: 'call_scale', outcome: 'approved', decided_by: { email: 'admin@example.com' } });
    // run.completed was not subscribed: never sent
    expect(received.some((item) => item.headers['x-skyflo-event'] === 'run.completed')).toBe(false);

    await vi.waitFor(async () => {
      const audit = (await team.lite.query<{ action: string; details: Record<string, unknown> }>("SELECT action, details FROM audit_events WHERE action LIKE 'webhook.%' ORDER BY sequence")).rows;
      expect(audit.map((row) => [row.action, row.details['event'], row.details['attempts']])).toEqual([
        ['webhook.delivered', 'approval.requested', 2],
        ['webhook.delivered', 'approval.decided', 1],
      ]);
    });
  });
});
