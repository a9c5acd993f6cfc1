/**
 * Property test of the approval gate (10,000 random cases): random batches of model tool calls — read-only,
 * mutating, unannotated, oddly annotated and unknown tools, malformed calls, duplicate call ids — driven through
 * random human actions (approve, deny, double approve, tampered arguments, replay of an old state, catalogue
 * outages, the target changing after approval). Invariants: a tool that is not positively read-only never reaches
 * callTool without a human approval of exactly that tool and argument hash, never after its preview changed, and
 * no approval is ever consumed twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashToolCall } from '../../src/domain/tool-calls/core/hash-tool-call.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createGateNode } from '../../src/app/graph/nodes/gate/index.ts';
import type { RunContext } from '../../src/app/graph/run-context.ts';
import { AgentState, type AgentStateValue, type PendingCall } from '../../src/app/graph/state.ts';
import type { ToolGateway, ToolInfo } from '../../src/platform/ports/tool-gateway.ts';
import type { ApprovalStore } from '../../src/platform/ports/index.ts';
import { createInMemoryApprovalStore } from '../../src/testing/in-memory-storage.ts';
import { MemorySaver } from '@langchain/langgraph/web';
import { randomBytes } from 'node:crypto';
import { createToolCallInspector } from '../../src/domain/tool-calls/core/tool-call-inspector.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';

const catalogue: ToolInfo[] = [
  { name: 'k8s_get', title: 'Get', description: '', inputSchema: {}, annotations: { readOnlyHint: true }, tags: ['k8s'], toolset: 'k8s' },
  { name: 'k8s_scale', title: 'Scale', description: '', inputSchema: {}, annotations: { readOnlyHint: false }, tags: ['k8s'], toolset: 'k8s', preview: { tool: 'k8s_diff' } },
  { name: 'k8s_delete', title: 'Delete', description: '', inputSchema: {}, annotations: { readOnlyHint: false, destructiveHint: true }, tags: ['k8s'], toolset: 'k8s' },
  { name: 'k8s_unannotated', title: 'Unannotated', description: '', inputSchema: {}, tags: ['k8s'], toolset: 'k8s' },
  // a misbehaving server: a truthy non-boolean must not count as read-only
  { name: 'k8s_stringly', title: 'Stringly', description: '', inputSchema: {}, annotations: { readOnlyHint: 'true' as unknown as boolean }, tags: ['k8s'], toolset: 'k8s' },
  { name: 'k8s_diff', title: 'Diff', description: '', inputSchema: {}, annotations: { readOnlyHint: true }, tags: ['k8s'], toolset: 'k8s' },
];
const readOnly = new Set(['k8s_get', 'k8s_diff']);
const toolPool = ['k8s_get', 'k8s_scale', 'k8s_delete', 'k8s_unannotated', 'k8s_stringly', 'k8s_ghost', 'load_toolset'];

type Action = 'approve' | 'deny' | 'double' | 'tamper' | 'replay' | 'outage' | 'drift';

const callArbitrary = fc.record(
  {
    callId: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c5'),
    tool: fc.constantFrom(...toolPool),
    args: fc.dictionary(fc.constantFrom('name', 'replicas', 'namespace', 'toolset', 'include_write_tools'), fc.oneof(fc.constantFrom('web', 'api', 'k8s'), fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxKeys: 3 }),
    invalid: fc.option(fc.constant('Invalid arguments: malformed JSON'), { nil: undefined }),
  },
  { requiredKeys: ['callId', 'tool', 'args'] },
);

interface World {
  executed: Array<{ name: string; args: Record<string, unknown> }>;
  violations: string[];
  /** what the target looks like now; a preview renders it */
  targetVersion: number;
}

function harness(world: World, outage: () => boolean) {
  const inner = createInMemoryApprovalStore();
  /** approvals a human granted: key → tool+hash, consumed by the first matching execution */
  const granted = new Map<string, { tool: string; hash: string; consumed: boolean; targetVersion: number }>();
  /** the target version each call's approval preview showed */
  const previewed = new Map<string, number>();
  const approvals: ApprovalStore = {
    ...inner,
    async decide(input) {
      const record = await inner.decide(input);
      if (record && input.approve) granted.set(`${input.conversationId}/${input.callId}`, { tool: record.tool, hash: record.argsHash, consumed: false, targetVersion: previewed.get(input.callId) ?? -1 });
      return record;
    },
  };
  const tools: ToolGateway = {
    async listTools() {
      if (outage()) throw new Error('MCP server unreachable');
      return catalogue;
    },
    async callTool({ name, args }) {
      world.executed.push({ name, args });
      if (!readOnly.has(name)) {
        const hash = hashToolCall(name, args);
        // Two calls may carry the same tool and arguments; any one unconsumed grant that saw the current target will do.
        const matching = [...granted.values()].filter((candidate) => !candidate.consumed && candidate.tool === name && candidate.hash === hash);
        const grant = matching.find((candidate) => candidate.targetVersion === world.targetVersion);
        if (matching.length === 0) world.violations.push(`${name} ${JSON.stringify(args)} executed without a matching unconsumed approval`);
        else if (!grant) world.violations.push(`${name} executed although its target changed after approval`);
        else grant.consumed = true;
      }
      return { text: 'ok', isError: false };
    },
    async preview() {
      return { text: `diff of target v${world.targetVersion}`, isError: false };
    },
    async close() {},
  };
  // The gate previews a call right before requesting its approval: remember what that preview showed.
  const request = approvals.request.bind(approvals);
  approvals.request = async (record) => {
    previewed.set(record.callId, world.targetVersion);
    return request(record);
  };
  return { approvals, tools, inner };
}

function baseState(pending: PendingCall[]): AgentStateValue {
  return {
    messages: [],
    pendingTools: pending,
    awaitingApproval: false,
    loadedToolsets: {},
    // the model's turn that proposed the batch
    iterations: 1,
    stopped: false,
    error: null,
    runId: 'r0',
    endAfterGate: false,
  } satisfies typeof AgentState.State;
}

describe('approval gate property', () => {
  it('never executes a non-read-only tool without a matching approval, and never twice (10,000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArbitrary, { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom<Action>('approve', 'deny', 'double', 'tamper', 'replay', 'outage', 'drift'), { minLength: 1, maxLength: 8 }), async (batch, actions) => {
        const world: World = { executed: [], violations: [], targetVersion: 0 };
        let down = false;
        const { approvals, tools } = harness(world, () => down);
        const conversationId = 'conv';
        const controller = new AbortController();
        const run: RunContext = { runId: 'r1', conversationId, kind: 'decision', requester: { id: 'owner' }, startedAt: 0, signal: controller.signal, emit: async () => {}, ttftSent: false, decisions: {} };
        const gate = createGateNode(
          { llm: { model: undefined, modelName: 'none' }, tools, approvals, secretBox: createSecretBox(randomBytes(32)), inspector: createToolCallInspector(), checkpointer: new MemorySaver(), config: agentConfig() },
          run,
        );

        let state = baseState(batch as PendingCall[]);
        let update = await gate(state);
        for (const action of actions) {
          if (!update.awaitingApproval) break;
          const previous = { ...state, ...update, messages: [] } as AgentStateValue;
          const first = previous.pendingTools[0]!;
          down = false;
          if (action === 'outage') down = true;
          const decide = (approve: boolean) => approvals.decide({ conversationId, callId: first.callId, approve, decidedBy: 'human', decisionRunId: 'r1' });
          if (action === 'approve' || action === 'tamper' || action === 'replay' || action === 'outage' || action === 'drift') {
            await decide(true);
          } else if (action === 'deny') {
            await decide(false);
          } else if (action === 'double') {
            await decide(true);
            expect(await decide(true)).toBeUndefined();
          }
          // the deployment changes between the approval and the execution
          if (action === 'drift') world.targetVersion += 1;
          // the decision's run resumes the checkpoint with no model turn yet
          state = { ...previous, iterations: 0, awaitingApproval: false };
          if (action === 'tamper') {
            // the state now holds different arguments than the human approved
            state = { ...state, pendingTools: [{ ...first, args: { ...first.args, replicas: 99 } }, ...state.pendingTools.slice(1)] };
          }
          update = await gate(state);
          // a second engine (or a crash-replay) resuming from the same old checkpoint must not execute again
          if (action === 'replay') await gate(state);
        }
        expect(world.violations).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
  }, 120_000);
});
