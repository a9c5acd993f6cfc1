/**
 * Issue 79 item 2 at the terminal: `/pending` shows the oldest page of the calls waiting with the queue's length, and
 * `/pending more` the next page from where the last one stopped (the engine's cursor), so a queue longer than a page
 * hides nothing. Without a terminal: the engine is a stand-in that records what it was asked.
 */
import type { PendingApproval, PendingApprovalsQuery, PendingApprovalsResponse } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import type { Context } from '../../src/chat/chat-context.ts';
import { runSlashCommand } from '../../src/chat/slash-commands.ts';

const total = 45;
const calls = Array.from({ length: total }, (_, index) => ({
  call_id: `call_${index}`,
  tool: 'k8s_scale',
  args: { name: `web-${index}`, replicas: 3 },
  conversation_id: '00000000-0000-4000-8000-000000000001',
  conversation_title: 'Scale the shop',
  requested_by: { id: 'u1', email: 'mia@example.com' },
  requested_at: new Date(Date.now() - 5 * 60_000).toISOString(),
  can_decide: index % 2 === 0,
  ...(index % 2 === 0 ? {} : { cannot_decide_reason: 'four-eyes: someone else must decide it' }),
})) as unknown as PendingApproval[];

function setup() {
  const printed: string[] = [];
  const asked: PendingApprovalsQuery[] = [];
  const identity = new Proxy({}, { get: () => (text: string) => text });
  const context = {
    style: 'text',
    io: { stdout: { write: (text: string) => void printed.push(text), columns: 200 } },
    renderer: { info: (text: string) => void printed.push(text), error: (text: string) => void printed.push(`ERROR ${text}`) },
    palette: identity,
  } as unknown as Context;
  // the engine's paging: 20 a page, the cursor is the index of the next call
  const client = {
    pendingApprovals: async (query: PendingApprovalsQuery = {}): Promise<PendingApprovalsResponse> => {
      asked.push(query);
      const from = query.cursor ? Number(query.cursor) : 0;
      const limit = Number(query.limit ?? 50);
      const data = calls.slice(from, from + limit);
      const more = from + limit < total;
      return { policy: 'self', four_eyes: false, data, total, next_cursor: more ? String(from + limit) : null, has_more: more };
    },
  } as unknown as ApiClient;
  return { context, client, printed, asked };
}

describe('/pending in skyflo chat', () => {
  it('pages through a queue longer than a page, each call once, with the total', async () => {
    const { context, client, printed, asked } = setup();
    await runSlashCommand(context, client, '/pending', undefined);
    expect(printed.join('')).toMatch(/45 waiting for a decision, oldest first \(1–20 shown\); \/pending more for the next/);
    await runSlashCommand(context, client, '/pending more', undefined);
    await runSlashCommand(context, client, '/pending more', undefined);
    const text = printed.join('');
    expect(text).toMatch(/\(21–40 shown\); \/pending more/);
    expect(text).toMatch(/\(41–45 shown\)\. \/resume/);
    for (let index = 0; index < total; index += 1) expect(text.match(new RegExp(`name=web-${index}\\b`, 'g'))).toHaveLength(1);
    expect(asked.map((query) => query.cursor)).toEqual([undefined, '20', '40']);
    // a call this user may not decide says why, in the engine's words
    expect(text).toMatch(/web-1\b[^\n]*\n[^\n]*not yours: four-eyes: someone else must decide it/);
    printed.length = 0;
    await runSlashCommand(context, client, '/pending more', undefined);
    expect(printed.join('')).toMatch(/No further page/);
  });
});
