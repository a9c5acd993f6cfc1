import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvalChallengeFacts } from '@skyflo/protocol';
import { approvalChallenge } from './approval-challenge.ts';

const call = { callId: 'call_1', conversationId: '7b4c2f9e-1d7a-4c3e-9a52-0d6f4b1e2a33', tool: 'k8s_scale', argsHash: 'a'.repeat(64), diffHash: 'd'.repeat(64), cluster: { name: 'prod', server: 'https://prod' } };
const expiresAt = '2026-11-23T20:00:00.000Z';

describe("a passkey approval's challenge", () => {
  it('is base64url(sha256) of the canonical JSON of the facts, keys sorted', () => {
    const text = `{"argsHash":"${'a'.repeat(64)}","callId":"call_1","cluster":"prod","conversationId":"${call.conversationId}","diffHash":"${'d'.repeat(64)}","expiresAt":"${expiresAt}","server":"https://prod","tool":"k8s_scale"}`;
    expect(approvalChallenge(approvalChallengeFacts(call, expiresAt))).toBe(createHash('sha256').update(text).digest('base64url'));
  });

  it.each<[string, Partial<typeof call> & { expiresAt?: string }]>([
    ['another preview (diff_hash)', { diffHash: 'e'.repeat(64) }],
    ['other arguments (args_hash)', { argsHash: 'b'.repeat(64) }],
    ['another call', { callId: 'call_2' }],
    ['another cluster', { cluster: { name: 'staging', server: 'https://prod' } }],
    // issue 73: the API server and the tool are signed too (a context repointed, another tool with the same hashes)
    ['another API server', { cluster: { name: 'prod', server: 'https://elsewhere' } }],
    ['another tool', { tool: 'k8s_delete' }],
    ['another expiry', { expiresAt: '2026-11-23T20:05:00.000Z' }],
  ])('changes with %s', (_case, patch) => {
    const { expiresAt: otherExpiry, ...other } = patch;
    expect(approvalChallenge(approvalChallengeFacts({ ...call, ...other }, otherExpiry ?? expiresAt))).not.toBe(approvalChallenge(approvalChallengeFacts(call, expiresAt)));
  });

  it('binds a call without a preview or a cluster as null', () => {
    expect(approvalChallengeFacts({ ...call, diffHash: undefined, cluster: undefined }, expiresAt)).toMatchObject({ diffHash: null, cluster: 'in-cluster', server: '' });
  });
});
