/**
 * Issue 79 item 2: GET /approvals/pending pages the whole queue. With more calls waiting than one answer holds (the
 * old list stopped at the oldest 200, with no total and no way on), every call is on exactly one page, oldest first,
 * each page says how many wait in all, and a chat's card asks for its own conversation's calls. Who sees which call
 * is the access rule's, in the total as on the pages: a member their own conversations' calls; an approver under
 * APPROVAL_POLICY=self theirs and those a cluster policy made an approver's work.
 */
import { PGlite } from '@electric-sql/pglite';
import { pendingApprovalsResponseSchema, type PendingApprovalsResponse } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewApproval } from '../../src/platform/ports/index.ts';
import { startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
/** APPROVAL_POLICY=approver: approvers and admins see every conversation's calls */
let engine: TestEngine;
/** a second engine on the same database with APPROVAL_POLICY=self, as a workspace configured so would run */
let selfEngine: TestEngine;
const tokens: Record<string, string> = {};
/** every call recorded, by owner, in the order they were requested */
const recorded: Record<string, string[]> = { mia: [], ann: [] };
let miaConversation = '';
/** mia's calls recorded under a cluster's `approver` policy: an approver's work under APPROVAL_POLICY=self */
const approverWork: string[] = [];

const miaCalls = 230;
const annCalls = 12;

async function record(owner: 'mia' | 'ann', conversationId: string, index: number, patch: Partial<NewApproval> = {}) {
  const user = await engine.engine.storage.users.findByEmail(`${owner}@example.com`);
  const callId = `call_${owner}_${String(index).padStart(4, '0')}`;
  await engine.engine.storage.approvals.request({
    conversationId,
    callId,
    runId: `run_${callId}`,
    tool: 'k8s_scale',
    args: { name: `web-${index}`, resource_type: 'deployment', namespace: 'shop', replicas: 3 },
    argsHash: callId.padEnd(64, '0'),
    resolution: [],
    risks: [],
    destructive: false,
    requestedBy: user!.id,
    ...patch,
  });
  recorded[owner]!.push(callId);
  return callId;
}

/** `calls` in the queue's order: oldest first, then by conversation and call (several can share a millisecond) */
async function inQueueOrder(calls: readonly string[]): Promise<string[]> {
  const rows = (await lite.query<{ call_id: string }>(`select call_id from approvals where status = 'awaiting' order by requested_at, conversation_id, call_id`)).rows;
  const wanted = new Set(calls);
  return rows.map((row) => row.call_id).filter((callId) => wanted.has(callId));
}

async function page(who: string, query: string, on: TestEngine = engine): Promise<PendingApprovalsResponse> {
  const response = await on.request({ method: 'GET', url: `/api/v1/approvals/pending${query ? `?${query}` : ''}`, token: tokens[who]! });
  expect(response.statusCode, response.body).toBe(200);
  return pendingApprovalsResponseSchema.parse(response.json());
}

/** Every page of the queue as `who` sees it, following next_cursor; checks that each page says the same total. */
async function everyPage(who: string, limit: number, on: TestEngine = engine): Promise<{ calls: string[]; totals: number[]; pages: number }> {
  const calls: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const answer = await page(who, [`limit=${limit}`, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&'), on);
    expect(answer.data.length).toBeLessThanOrEqual(limit);
    expect(answer.has_more).toBe(answer.next_cursor !== null);
    calls.push(...answer.data.map((item) => item.call_id));
    totals.push(answer.total);
    cursor = answer.next_cursor;
    pages += 1;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { calls, totals, pages };
}

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { APPROVAL_POLICY: 'approver' } });
  selfEngine = await startTestEngine({ lite, env: { APPROVAL_POLICY: 'self' } });
  tokens['admin'] = await engine.signUp('admin@example.com');
  for (const [name, role] of [['mia', 'member'], ['ann', 'approver']] as const) {
    const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: tokens['admin'], payload: { email: `${name}@example.com`, role, password: testPassword } });
    expect(added.statusCode, added.body).toBe(201);
    tokens[name] = (await engine.login(`${name}@example.com`)).json().access_token as string;
  }
  const storage = engine.engine.storage;
  const mia = await storage.users.findByEmail('mia@example.com');
  const ann = await storage.users.findByEmail('ann@example.com');
  // mia's calls over a few conversations, every fifth recorded under a cluster's approver policy
  const conversations = await Promise.all([0, 1, 2].map(() => storage.conversations.create({ userId: mia!.id, title: 'mia' })));
  miaConversation = conversations[1]!.id;
  for (let index = 0; index < miaCalls; index += 1) {
    const policy = index % 5 === 0 ? { policy: { mode: 'approver' as const, source: 'cluster prod' } } : {};
    const callId = await record('mia', conversations[index % 3]!.id, index, policy);
    if (index % 5 === 0) approverWork.push(callId);
  }
  const annConversation = await storage.conversations.create({ userId: ann!.id, title: 'ann' });
  for (let index = 0; index < annCalls; index += 1) await record('ann', annConversation.id, index);
}, 180_000);

afterAll(async () => {
  await selfEngine?.close();
  await engine?.close();
  await lite?.close();
});

describe('GET /approvals/pending pages the whole queue', () => {
  it('gives the queue a page at a time, each call once, oldest first, with the same total on every page', async () => {
    const { calls, totals, pages } = await everyPage('admin', 100);
    const everyCall = await inQueueOrder([...recorded['mia']!, ...recorded['ann']!]);
    expect(everyCall).toHaveLength(miaCalls + annCalls);
    expect(calls).toEqual(everyCall);
    expect(new Set(totals)).toEqual(new Set([everyCall.length]));
    expect(pages).toBe(Math.ceil(everyCall.length / 100));
  });

  it('holds 50 calls without a limit and 200 at most, and refuses what is not a page', async () => {
    const first = await page('admin', '');
    expect(first.data).toHaveLength(50);
    expect(first.total).toBe(miaCalls + annCalls);
    expect(first.has_more).toBe(true);
    const refusal = async (query: string) => {
      const response = await engine.request({ method: 'GET', url: `/api/v1/approvals/pending?${query}`, token: tokens['admin']! });
      expect(response.statusCode).toBe(400);
      return (response.json() as { detail: string }).detail;
    };
    expect(await refusal('limit=201')).toMatch(/limit must be 1 to 200/);
    expect(await refusal('cursor=not-a-cursor')).toMatch(/cursor: not a cursor returned by this API/);
    expect(await refusal('conversation_id=42')).toMatch(/conversation_id must be a conversation id/);
  });

  it('lets a member page through their own calls only, with their own total', async () => {
    const { calls, totals } = await everyPage('mia', 64);
    expect(calls).toEqual(await inQueueOrder(recorded['mia']!));
    expect(new Set(totals)).toEqual(new Set([miaCalls]));
    // and ann, a member of nothing here but an approver, sees every call under APPROVAL_POLICY=approver
    expect((await everyPage('ann', 200)).calls).toHaveLength(miaCalls + annCalls);
  });

  it('keeps a member to their own calls under APPROVAL_POLICY=self as well', async () => {
    const { calls, totals } = await everyPage('mia', 64, selfEngine);
    expect(calls).toEqual(await inQueueOrder(recorded['mia']!));
    expect(new Set(totals)).toEqual(new Set([miaCalls]));
  });

  it('gives an approver (APPROVAL_POLICY=self) their own calls and those a cluster policy made theirs, in the total too', async () => {
    const { calls, totals } = await everyPage('ann', 7, selfEngine);
    const expected = await inQueueOrder([...approverWork, ...recorded['ann']!]);
    expect(calls).toEqual(expected);
    expect(new Set(totals)).toEqual(new Set([expected.length]));
  });

  it('answers a chat\'s card with every call of its conversation, whatever page of the queue they are on', async () => {
    const own = await page('mia', `conversation_id=${miaConversation}&limit=200`);
    const expected = await inQueueOrder(recorded['mia']!.filter((_, index) => index % 3 === 1));
    expect(own.data.map((item) => item.call_id)).toEqual(expected);
    expect(own.total).toBe(expected.length);
    // the newest of them lies beyond the first page of the whole queue
    expect((await page('mia', 'limit=200')).data.map((item) => item.call_id)).not.toContain(expected.at(-1));
    // in someone else's conversation, an approver under APPROVAL_POLICY=self sees only what a cluster policy made theirs
    const forAnn = await page('ann', `conversation_id=${miaConversation}&limit=200`, selfEngine);
    expect(forAnn.data.map((item) => item.call_id)).toEqual(expected.filter((callId) => approverWork.includes(callId)));
    expect(forAnn.total).toBe(forAnn.data.length);
  });

  it('counts for a reader limited to some clusters only the calls they may know of (issue 74 item 8), on every page', async () => {
    const storage = engine.engine.storage;
    const mia = (await storage.users.findByEmail('mia@example.com'))!;
    const ann = (await storage.users.findByEmail('ann@example.com'))!;
    const pinned = async (cluster: string) => (await storage.conversations.create({ userId: mia.id, title: cluster, cluster })).id;
    const inProd = await pinned('prod-eu');
    const inStaging = await pinned('staging');
    const prodCalls = [await record('mia', inProd, 9001), await record('mia', inProd, 9002)];
    await record('mia', inStaging, 9003);
    await storage.users.setScope(ann.id, { clusters: ['prod-*'] });
    try {
      // APPROVAL_POLICY=approver: ann acts on others' conversations, but only those pinned inside her scope
      const { calls, totals } = await everyPage('ann', 1);
      const expected = await inQueueOrder([...prodCalls, ...recorded['ann']!]);
      expect(calls).toEqual(expected);
      expect(new Set(totals)).toEqual(new Set([expected.length]));
    } finally {
      await storage.users.setScope(ann.id, {});
    }
  });
});
