/**
 * Used by the passkey and device-key approval tests (accounts/): a destructive call on cluster prod (labelled
 * production, so its policy asks for a passkey) awaiting a decision in a new conversation of mia@example.com, and the
 * decision body that approves it.
 */
import type { NewApproval } from '../../src/platform/ports/index.ts';
import { savePausedTurn } from '../../src/testing/paused-turn.ts';
import type { TeamEngine } from './team-engine.ts';

const hex = (digit: string) => digit.repeat(64);

export async function recordProdCall(team: TeamEngine, name: string, patch: Partial<NewApproval> = {}) {
  const storage = team.engine.engine.storage;
  const mia = await storage.users.findByEmail('mia@example.com');
  const conversation = await storage.conversations.create({ userId: mia!.id, title: name });
  const record = await storage.approvals.request({
    conversationId: conversation.id,
    callId: `call_${name}`,
    runId: `run_${name}`,
    tool: 'k8s_delete',
    args: { name: 'web', resource_type: 'deployment', namespace: 'shop' },
    argsHash: hex('a'),
    diff: '- deployment shop/web',
    diffHash: hex('d'),
    resolution: [],
    risks: [],
    destructive: true,
    policyReason: 'k8s_delete changes the cluster',
    requestedBy: mia!.id,
    cluster: { name: 'prod', server: 'https://prod.example.test', label: 'production' },
    namespace: 'shop',
    ...patch,
  });
  // the turn the run paused at, as its end saved it: without it the call could not be resumed (issue 75)
  await savePausedTurn(await storage.checkpointer(), conversation.id, [{ callId: record.callId, tool: record.tool, args: record.args }]);
  return { conversationId: conversation.id, callId: record.callId, argsHash: record.argsHash, diffHash: record.diffHash! };
}

export type ProdCall = Awaited<ReturnType<typeof recordProdCall>>;

export const approveBody = (call: Pick<ProdCall, 'conversationId' | 'argsHash' | 'diffHash'>, extra: Record<string, unknown> = {}) => ({ approve: true, conversation_id: call.conversationId, args_hash: call.argsHash, diff_hash: call.diffHash, ...extra });
