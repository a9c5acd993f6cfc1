import { describe, expect, it } from 'vitest';
import { approvalRequestCard, decidedCard, refusedCard, type CardFacts } from './teams-cards.ts';

const password = 'hunter2-Sup3r-Secret-Value';
const githubToken = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const request: CardFacts = {
  type: 'approval.requested',
  at: 0,
  conversation_id: 'c1',
  conversation_url: 'https://skyflo.example.com/chat/c1',
  conversation_title: `rotate db creds (password=${password})`,
  call_id: 'call_apply',
  tool: 'k8s_apply',
  cluster: 'prod-eu',
  requested_by: { id: 'u1', email: 'mia@example.com' },
  policy_reason: 'Changes the cluster: applies configmap payments/db',
  risks: [{ code: 'secret_in_manifest', severity: 'high', message: `the manifest embeds DB_PASSWORD: ${password}` }],
  diff: `--- live/db\n+++ proposed/db\n@@ data @@\n-  DB_PASSWORD: old-value-1234\n+  DB_PASSWORD: ${password}\n+  GITHUB_TOKEN: ${githubToken}\n+  replicas: 3`,
};
const link = 'https://skyflo.example.com/chat/c1';

describe('Teams approval cards', () => {
  it('show the call, cluster, requester, risks and diff with Approve / Deny as Action.Execute naming the call', () => {
    const card = approvalRequestCard(request, link);
    const text = JSON.stringify(card);
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(text).toContain('Changes the cluster: applies configmap payments/db');
    expect(text).toContain('{"title":"Cluster","value":"prod-eu"}');
    expect(text).toContain('{"title":"Asked by","value":"mia@example.com"}');
    expect(text).toContain('HIGH** secret_in_manifest');
    expect(text).toContain('+  replicas: 3');
    expect(card['actions']).toEqual([
      { type: 'Action.Execute', verb: 'approve', title: 'Approve', style: 'positive', data: { conversation_id: 'c1', call_id: 'call_apply' } },
      { type: 'Action.Execute', verb: 'deny', title: 'Deny', style: 'destructive', data: { conversation_id: 'c1', call_id: 'call_apply' } },
      { type: 'Action.OpenUrl', title: 'Open in Skyflo', url: link },
    ]);
  });

  it('carry no secret: the diff, risks, title and refusal are redacted on every card', () => {
    const cards = [approvalRequestCard(request, link), decidedCard(request, 'denied', 'ann@example.com', link), refusedCard(request, `could not decide (${githubToken})`, link)];
    for (const card of cards) {
      const text = JSON.stringify(card);
      expect(text).not.toContain(password);
      expect(text).not.toContain(githubToken);
      expect(text).toContain('DB_PASSWORD: [REDACTED]');
    }
  });

  it('once decided: who decided and no decision actions', () => {
    const card = decidedCard(request, 'denied', 'ann@example.com', link);
    expect(JSON.stringify(card)).toContain('Denied by ann@example.com');
    expect(card['actions']).toEqual([{ type: 'Action.OpenUrl', title: 'Open in Skyflo', url: link }]);
  });

  it('truncate a long diff with a link to the rest', () => {
    const long = Array.from({ length: 400 }, (_, index) => `+  line ${index}: value`).join('\n');
    const text = JSON.stringify(approvalRequestCard({ ...request, diff: long }, link));
    expect(text).toContain('more characters: https://skyflo.example.com/chat/c1');
    expect(text).not.toContain('line 399');
  });
});
