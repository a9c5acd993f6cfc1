/**
 * The typed client checks what it reads (issue 33): a workspace route's answer of another shape is an error naming
 * the route, never data of the wrong type; a notification frame the protocol does not describe is skipped.
 */
import { describe, expect, it } from 'vitest';
import { createSkyfloClient, readNotification, SkyfloClientError } from '../src/client/index.ts';

/** a client whose engine answers every request with `body`, recording the URLs asked */
function clientAnswering(body: unknown) {
  const asked: string[] = [];
  const client = createSkyfloClient({
    baseUrl: 'http://engine.test',
    fetch: async (url) => {
      asked.push(String(url));
      return Response.json(body);
    },
  });
  return { client, asked };
}

describe('typed answers', () => {
  it.each([
    ['GET /api/v1/team/members', (client: ReturnType<typeof createSkyfloClient>) => client.members(), { data: [] }],
    ['GET /api/v1/settings/llm', (client: ReturnType<typeof createSkyfloClient>) => client.llmSettings(), { provider: 42 }],
    ['GET /api/v1/integrations', (client: ReturnType<typeof createSkyfloClient>) => client.integrations(), [{ id: 'i1', provider: 'gitlab' }]],
    ['GET /api/v1/approvals/pending', (client: ReturnType<typeof createSkyfloClient>) => client.pendingApprovals(), [{ call_id: 'c1' }]],
  ])('%s answering another shape is a MALFORMED_RESPONSE naming the route', async (route, call, body) => {
    const failure = await call(clientAnswering(body).client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SkyfloClientError);
    expect(failure).toMatchObject({ code: 'MALFORMED_RESPONSE' });
    expect((failure as Error).message).toContain(`${route} answered something this client cannot read`);
  });

  it('sends the page filters as the query, leaving empty ones out', async () => {
    const { client, asked } = clientAnswering({ data: [], pagination: { limit: 50, next_cursor: null, has_more: false } });
    await client.audit({ action: 'tool.approved', tool: '', limit: '50', cursor: undefined });
    await client.audit('from=2026-01-01T00%3A00%3A00.000Z&limit=50');
    expect(asked).toEqual(['http://engine.test/api/v1/audit?action=tool.approved&limit=50', 'http://engine.test/api/v1/audit?from=2026-01-01T00%3A00%3A00.000Z&limit=50']);
  });

  it('reads a notification frame, and skips one the protocol does not describe', async () => {
    const frame = { id: 'n1', kind: 'approval.requested', at: 1, conversation_id: 'c1', call_id: 'k1', summary: 'scales web to 5', can_decide: true };
    expect(await readNotification(JSON.stringify(frame))).toEqual(frame);
    expect(await readNotification(JSON.stringify({ ...frame, kind: 'approval.exploded' }))).toBeUndefined();
    expect(await readNotification('not json')).toBeUndefined();
  });
});
