import { describe, expect, it } from 'vitest';
import { decideApproval, defaultApprovalRules, missingAnnotationsRule, notReadOnlyRule, unknownToolRule, type ApprovalRule } from './approval-policy.ts';
import { canonicalJson, hashToolCall } from '../core/hash-tool-call.ts';
import type { ToolInfo } from '../../../platform/ports/tool-gateway.ts';

const info = (name: string, annotations?: ToolInfo['annotations']): ToolInfo => ({ name, title: name, description: '', inputSchema: {}, annotations, tags: [] });

describe('approval policy (fail closed)', () => {
  it.each([
    ['read-only tool', 'k8s_get', info('k8s_get', { readOnlyHint: true }), false, /only reads/],
    ['explicitly mutating', 'k8s_scale', info('k8s_scale', { readOnlyHint: false }), true, /^Changes the cluster: /],
    ['destructive but claims read-only=false', 'k8s_delete', info('k8s_delete', { readOnlyHint: false, destructiveHint: true }), true, /^Changes the cluster: deletes/],
    ['annotations without readOnlyHint', 'k8s_exec', info('k8s_exec', { destructiveHint: false }), true, /^Changes the cluster: runs a command in pod/],
    ['no annotations at all', 'k8s_mystery', info('k8s_mystery'), true, /does not say whether it only reads/],
    ['unknown tool', 'k8s_ghost', undefined, true, /^Unknown tool: k8s_ghost is not in the MCP server's tool list/],
    ['catalogue entry for another name', 'k8s_scale', info('k8s_get', { readOnlyHint: true }), true, /not in the MCP server's tool list/],
    ['truthy non-boolean hint', 'k8s_odd', info('k8s_odd', { readOnlyHint: 'true' as unknown as boolean }), true, /^Changes the cluster: runs k8s_odd/],
    ['readOnlyHint 1', 'k8s_odd', info('k8s_odd', { readOnlyHint: 1 as unknown as boolean }), true, /^Changes the cluster: runs k8s_odd/],
  ])('%s', (_label, tool, toolInfo, requiresApproval, reason) => {
    const decision = decideApproval({ tool, info: toolInfo });
    expect(decision.requiresApproval).toBe(requiresApproval);
    expect(decision.reason).toMatch(reason);
  });

  it('rules are ordered: the first reason wins', () => {
    expect(defaultApprovalRules).toEqual([unknownToolRule, missingAnnotationsRule, notReadOnlyRule]);
    expect(decideApproval({ tool: 'x', info: undefined }).reason).toMatch(/tool list/);
  });

  it('a rule that throws requires approval instead of opening the gate', () => {
    const broken: ApprovalRule = () => {
      throw new Error('boom');
    };
    expect(decideApproval({ tool: 'k8s_get', info: info('k8s_get', { readOnlyHint: true }) }, [broken])).toEqual({ requiresApproval: true, reason: 'The approval check failed (boom), so a person decides.' });
  });
});

describe('args hash', () => {
  it('is independent of key order at every level', () => {
    expect(hashToolCall('k8s_patch', { name: 'web', patch: { b: 1, a: [{ y: 1, x: 2 }] } })).toBe(hashToolCall('k8s_patch', { patch: { a: [{ x: 2, y: 1 }], b: 1 }, name: 'web' }));
  });

  it.each([
    [{ name: 'web', replicas: 3 }, { name: 'web', replicas: 4 }],
    [{ name: 'web', replicas: 3 }, { name: 'web', replicas: '3' }],
    [{ name: 'web' }, { name: 'web', namespace: 'default' }],
    [{ list: [1, 2] }, { list: [2, 1] }],
  ])('differs when arguments differ: %j vs %j', (left, right) => {
    expect(hashToolCall('k8s_scale', left)).not.toBe(hashToolCall('k8s_scale', right));
  });

  it('binds the tool name too, and is a sha-256 hex digest', () => {
    expect(hashToolCall('k8s_scale', { name: 'web' })).not.toBe(hashToolCall('k8s_delete', { name: 'web' }));
    expect(hashToolCall('k8s_scale', {})).toMatch(/^[0-9a-f]{64}$/);
  });

  it('canonical JSON drops undefined object members like JSON.stringify does', () => {
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });
});
