import { describe, expect, it, vi } from 'vitest';
import { AgentRequestError } from '../../../platform/errors/agent-request-error.ts';
import type { TeamEvent } from '../../team-events/team-event.ts';
import { moreApprovalsNeededCode } from '../../../domain/tool-calls/decide/co-approval.ts';
import { createChatApprovalService, type ChatApprovalDeps, type ChatClick, type ChatConnection } from './chat-approval-service.ts';
import type { PostedApproval } from './posted-approvals.ts';

interface Posted extends PostedApproval {
  id: string;
}

function setup(options: { unverifiedClicker?: boolean; decision?: () => Promise<unknown> } = {}) {
  const values = new Map<string, unknown>();
  const audit: Array<{ action: string; details?: Record<string, unknown> }> = [];
  const prepareDecision = vi.fn(async () => {
    await options.decision?.();
    return { start: async () => undefined };
  });
  const deps = {
    settings: {
      get: async (key: string) => values.get(key) ?? null,
      put: async (key: string, value: unknown) => void values.set(key, value),
      putIfAbsent: async (key: string, value: unknown) => (values.has(key) ? values.get(key) : (values.set(key, value), value)),
    },
    audit: { record: async (entry: { action: string; details?: Record<string, unknown> }) => void audit.push(entry) },
    users: { findByEmail: async (email: string) => (email === 'ann@example.com' ? { id: 'u-ann', email, role: 'member', isActive: true } : undefined) },
    approvals: { get: async () => ({ tool: 'k8s_scale', argsHash: 'args', risks: [], status: 'awaiting', cluster: { name: 'prod' } }) },
    agent: () => ({ prepareDecision }),
    conversationUrl: (id: string) => `https://skyflo.example.com/chat/${id}`,
    now: () => new Date(0),
  } as unknown as ChatApprovalDeps;
  const service = createChatApprovalService<Posted>({ name: 'chat', label: 'Chat', mapPrefix: 'chat.posted.', clickedOn: 'button', ...(options.unverifiedClicker ? { unverifiedClicker: true } : {}) }, deps);
  const shown: string[] = [];
  const connection: ChatConnection<Posted> = {
    post: async (request) => ({ posted: { id: `m-${request.call_id}`, request, decided: false }, where: { message: `m-${request.call_id}` } }),
    showDecided: async (posted, outcome, by) => void shown.push(`${posted.id} ${outcome} by ${by}`),
  };
  const click = (verb: string, extra: Partial<ChatClick<Posted, string>> = {}): ChatClick<Posted, string> => ({
    verb,
    action: { action: verb },
    call: { conversationId: 'c1', callId: 'call1' },
    clicker: { id: 'U1', details: { chat_user: 'U1' } },
    identify: async () => ({ email: 'ann@example.com' }),
    clicked: () => undefined,
    refused: async (reason) => `refused: ${reason}`,
    decided: (_request, outcome, by) => `${outcome} by ${by}`,
    ...extra,
  });
  return { service, connection, click, audit, shown, prepareDecision, values };
}

const requested: TeamEvent = { type: 'approval.requested', at: 0, conversation_id: 'c1', conversation_url: 'https://skyflo.example.com/chat/c1', call_id: 'call1', tool: 'k8s_scale' };

describe('chat approvals', () => {
  it('post a request once, with the cluster, and show its outcome once', async () => {
    const { service, connection, audit, shown, values } = setup();
    await service.deliver(requested, connection);
    await service.deliver(requested, connection);
    expect(audit.map((entry) => entry.action)).toEqual(['chat.posted']);
    expect(audit[0]!.details).toMatchObject({ call_id: 'call1', message: 'm-call1' });
    expect(values.get('chat.posted.c1:call1')).toMatchObject({ id: 'm-call1', decided: false, request: { cluster: 'prod' } });
    const decided: TeamEvent = { ...requested, type: 'approval.decided', outcome: 'cancelled', reason: 'expired' };
    await service.deliver(decided, connection);
    await service.deliver(decided, connection);
    expect(shown).toEqual(['m-call1 cancelled by someone']);
  });

  it('decide a click as the user with the same e-mail, through prepareDecision, and update the message', async () => {
    const { service, connection, click, audit, shown, prepareDecision } = setup({ unverifiedClicker: true });
    await service.deliver(requested, connection);
    expect(await service.decide(click('approve'), connection)).toBe('approved by ann@example.com');
    expect(prepareDecision).toHaveBeenCalledWith(expect.objectContaining({ conversationId: 'c1', callId: 'call1', approve: true, argsHash: 'args', reason: 'decided in Chat', unverifiedClicker: 'Chat' }));
    expect(audit.at(-1)).toMatchObject({ action: 'chat.click_accepted', details: { chat_user: 'U1', email: 'ann@example.com', decision: 'approved' } });
    expect(shown).toEqual(['m-call1 approved by ann@example.com']);
  });

  it('refuse what it cannot decide, each in the audit', async () => {
    const { service, connection, click, audit, prepareDecision } = setup();
    expect(await service.decide(click('delete'), connection)).toBe('refused: unknown action');
    expect(await service.decide(click('approve', { call: undefined }), connection)).toBe('refused: the button carries no call');
    expect(await service.decide(click('approve', { misplaced: { reason: 'elsewhere', audit: { where: 'x' } } }), connection)).toBe('refused: elsewhere');
    expect(await service.decide(click('deny', { identify: async () => ({ email: 'eve@example.com' }) }), connection)).toBe('refused: your Chat account (eve@example.com) has no active Skyflo account with the same e-mail; decide in the Command Center instead.');
    expect(prepareDecision).not.toHaveBeenCalled();
    expect(audit.map((entry) => entry.action)).toEqual(['chat.click_refused', 'chat.click_refused', 'chat.click_refused', 'chat.click_refused']);
    expect(audit[0]!.details).toEqual({ chat_user: 'U1', action: 'delete', reason: 'unknown action' });
    expect(audit[2]!.details).toMatchObject({ where: 'x', call_id: 'call1' });
  });

  it('an approval a policy needs more of: recorded where the chat says so, else refused', async () => {
    const needsMore = async () => {
      throw new AgentRequestError(202, moreApprovalsNeededCode, 'recorded (1 of 2)');
    };
    const noted = setup({ decision: needsMore });
    expect(await noted.service.decide(noted.click('approve', { coApproved: async (message) => `noted: ${message}` }), noted.connection)).toBe('noted: recorded (1 of 2)');
    expect(noted.audit.at(-1)).toMatchObject({ action: 'chat.click_accepted', details: { decision: 'co_approved' } });
    const refused = setup({ decision: needsMore });
    expect(await refused.service.decide(refused.click('approve'), refused.connection)).toBe('refused: recorded (1 of 2)');
    expect(refused.audit.at(-1)).toMatchObject({ action: 'chat.click_refused', details: { code: moreApprovalsNeededCode } });
  });
});
