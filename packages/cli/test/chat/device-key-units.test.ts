/**
 * Issue 35 item 4 at the terminal's approval card, without a terminal: a call the engine lists as passkey_required is
 * approved by [a] only with this terminal's confirmed device key (the decision carries its signature of exactly that
 * call); without one, or with a key the engine no longer has, the card prints the call's approval page and nothing is
 * decided.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { approvalChallengeInput } from '@skyflo/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import type { AwaitingApproval } from '../../src/chat/approval-card.ts';
import { decider } from '../../src/chat/approval-prompt.ts';
import { openDeviceKey } from '../../src/chat/device-key.ts';

const ENGINE = 'http://engine.test:8080';
const APPROVE_AT = 'http://ui.test/approvals?call=call_prod&conversation=conv';
const card = { call_id: 'call_prod', tool: 'k8s_delete', args: { name: 'web' }, args_hash: 'a'.repeat(64), diff: '- web', diff_hash: 'd'.repeat(64), risks: [], cluster: { name: 'prod' }, context: { conversation_id: 'conv', approval_decisions: {} } } as unknown as AwaitingApproval;
const position = { index: 0, total: 1, calls: [card] };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function setup(keyStatus: 'active' | 'missing') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'skyflo-card-'));
  dirs.push(dir);
  const printed: string[] = [];
  const identity = new Proxy({}, { get: () => (text: string) => text });
  const context = {
    options: {},
    env: { configDir: path.join(dir, 'skyflo') },
    io: { stdout: { write: (text: string) => void printed.push(text) }, stderr: { write: () => true } },
    input: { isTTY: true, readKey: async () => ({ kind: 'key', name: 'a' }), readLine: async () => ({ kind: 'line', text: '' }) },
    renderer: { approvalCard: () => undefined, info: (text: string) => void printed.push(text), diffLinesShown: () => 20 },
    palette: identity,
  } as unknown as Parameters<typeof decider>[0];
  const client = {
    baseUrl: ENGINE,
    pendingApprovals: async () => ({ data: [{ call_id: 'call_prod', can_decide: true, passkey_required: true, approve_at: APPROVE_AT }] }),
    deviceKey: async (id: string) => {
      if (keyStatus === 'missing') throw new Error('404 DEVICE_KEY_NOT_FOUND');
      return { id, status: 'active' };
    },
  } as unknown as ApiClient;
  return { context, client, printed, configDir: path.join(dir, 'skyflo') };
}

describe('a passkey-required call at the terminal', () => {
  it('without a device key the card links to the browser and decides nothing', async () => {
    const { context, client, printed } = setup('active');
    const decision = await decider(context, client)(card, position);
    expect(decision).toEqual({ leave: true, why: `k8s_delete needs your passkey: approve it in the browser (${APPROVE_AT}); nothing was sent` });
    expect(printed.join('\n')).toContain(`approve it in the browser: ${APPROVE_AT}`);
    expect(printed.join('\n')).toContain('skyflo chat --register-device');
  });

  it('with a confirmed device key, [a] approves with its signature of exactly this call', async () => {
    const { context, client, configDir } = setup('active');
    const key = openDeviceKey(configDir);
    key.rememberRegistration(ENGINE, '6f1c1f3e-0000-4000-8000-000000000001');
    const decision = await decider(context, client)(card, position);
    expect(decision).toMatchObject({ approve: true, deviceSignature: { key_id: '6f1c1f3e-0000-4000-8000-000000000001' } });
    const signature = (decision as { deviceSignature: { expires_at: string; signature: string } }).deviceSignature;
    const facts = { callId: 'call_prod', tool: 'k8s_delete', server: '', argsHash: 'a'.repeat(64), diffHash: 'd'.repeat(64), cluster: 'prod', expiresAt: signature.expires_at, conversationId: 'conv' };
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKey, 'base64url'), format: 'der', type: 'spki' });
    expect(verify(null, createHash('sha256').update(approvalChallengeInput(facts)).digest(), publicKey, Buffer.from(signature.signature, 'base64url'))).toBe(true);
  });

  it('a key the engine no longer has (removed) leaves the call pending with the link', async () => {
    const { context, client, configDir, printed } = setup('missing');
    openDeviceKey(configDir).rememberRegistration(ENGINE, '6f1c1f3e-0000-4000-8000-000000000001');
    expect(await decider(context, client)(card, position)).toMatchObject({ leave: true });
    expect(printed.join('\n')).toMatch(/not confirmed \(or was removed\)/);
  });
});
