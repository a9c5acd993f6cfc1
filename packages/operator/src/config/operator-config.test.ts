import { describe, expect, it } from 'vitest';
import { loadOperatorConfig } from './operator-config.ts';

describe('skyflo operator settings: who makes the MCP server RBAC', () => {
  it.each([
    ['the operator, by default (skyflo operator by hand)', [], {}, 'operator'],
    ['the install, as the chart runs it', ['--mcp-rbac=install'], {}, 'install'],
    ['the install, from the environment', [], { SKYFLO_OPERATOR_MCP_RBAC: 'install' }, 'install'],
  ])('%s', (_name, argv, env, expected) => {
    expect(loadOperatorConfig(argv, env)).toMatchObject({ mcpRbac: expected });
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => loadOperatorConfig(['--mcp-rbac', 'chart'], {})).toThrow('--mcp-rbac: must be operator or install');
  });
});
