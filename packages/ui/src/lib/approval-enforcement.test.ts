import { describe, expect, it } from 'vitest';
import { engineOnlyEnforcement } from './approval-enforcement.ts';

describe('engineOnlyEnforcement', () => {
  it('warns for an in-cluster install whose approvals only the engine enforces, not for a kubeconfig user or an enforcing cluster', () => {
    expect(engineOnlyEnforcement({ name: 'in-cluster', approval_enforcement: 'engine' })).toBe(true);
    expect(engineOnlyEnforcement({ name: 'prod', identity: 'system:serviceaccount:skyflo:skyflo-mcp', approval_enforcement: 'engine' })).toBe(true);
    expect(engineOnlyEnforcement({ name: 'in-cluster', approval_enforcement: 'cluster' })).toBe(false);
    expect(engineOnlyEnforcement({ name: 'kind-dev', identity: 'ana@example.com', approval_enforcement: 'engine' })).toBe(false);
    // an older engine that does not say: no claim either way
    expect(engineOnlyEnforcement({ name: 'in-cluster' })).toBe(false);
  });
});
