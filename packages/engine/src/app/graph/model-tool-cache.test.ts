import { describe, expect, it } from 'vitest';
import { toToolInfo } from '../../domain/tools/classify-tool.ts';
import { createModelToolCache, type ModelToolInputs } from './model-tool-cache.ts';

const tool = (name: string, readOnlyHint: boolean) =>
  toToolInfo({
    name,
    inputSchema: { type: 'object', properties: { context: { type: 'string' }, namespace: { type: 'string', description: 'Namespace' } } },
    annotations: { readOnlyHint },
  });
const listing = () => [tool('k8s_get', true), tool('k8s_top_nodes', true), tool('k8s_scale', false), tool('helm_list_releases', true), tool('jenkins_get_job', true)];

const admin = (catalogue = listing()): ModelToolInputs => ({ catalogue, loaded: {}, jenkinsAvailable: false, observabilityAvailable: false, scope: undefined, toolScope: undefined });
/** what the model is told about a parameter: the schema the AI SDK would send */
const schemaOf = (tools: Record<string, { inputSchema: unknown }>, name: string) => (tools[name]!.inputSchema as { jsonSchema: { properties: Record<string, { description?: string }> } }).jsonSchema;

describe('the model tool set cache', () => {
  it('hands back the same set for the same inputs (the conversion is not repeated per run)', () => {
    const cache = createModelToolCache();
    const catalogue = listing();
    const first = cache.toolsFor(admin(catalogue));
    expect(cache.toolsFor({ ...admin(catalogue), loaded: {} })).toBe(first);
    expect(Object.keys(first)).toEqual(['load_toolset', 'k8s_get', 'k8s_top_nodes']);
  });

  it("never hands a namespace-limited member the admin's set, nor one member's set to another", () => {
    const cache = createModelToolCache();
    const catalogue = listing();
    const adminTools = cache.toolsFor(admin(catalogue));
    const member = cache.toolsFor({ ...admin(catalogue), scope: { namespaces: ['shop'] }, toolScope: { namespaces: ['shop'] } });
    expect(member).not.toBe(adminTools);
    // the cluster-wide tool is not offered, and the namespace parameter says what the scope allows
    expect(Object.keys(member)).toEqual(['load_toolset', 'k8s_get']);
    expect(schemaOf(member, 'k8s_get').properties['namespace']!.description).toMatch(/only the namespaces shop/);
    const other = cache.toolsFor({ ...admin(catalogue), scope: { namespaces: ['pay'] }, toolScope: { namespaces: ['pay'] } });
    expect(schemaOf(other, 'k8s_get').properties['namespace']!.description).toMatch(/only the namespaces pay/);
    // and the admin still gets the unscoped set afterwards
    expect(cache.toolsFor(admin(catalogue))).toBe(adminTools);
    expect(schemaOf(adminTools, 'k8s_get').properties['namespace']!.description).toBe('Namespace');
  });

  it('builds a new set when the catalogue is listed again, a toolset is loaded, or Jenkins becomes available', () => {
    const cache = createModelToolCache();
    const catalogue = listing();
    const before = cache.toolsFor(admin(catalogue));
    const relisted = [...listing(), tool('k8s_new_tool', true)];
    expect(Object.keys(cache.toolsFor(admin(relisted)))).toContain('k8s_new_tool');
    const helm = cache.toolsFor({ ...admin(catalogue), loaded: { helm: false } });
    expect(Object.keys(helm)).toContain('helm_list_releases');
    expect(Object.keys(cache.toolsFor({ ...admin(catalogue), loaded: { jenkins: false }, jenkinsAvailable: true }))).toContain('jenkins_get_job');
    expect(Object.keys(cache.toolsFor({ ...admin(catalogue), loaded: { jenkins: false } }))).not.toContain('jenkins_get_job');
    expect(cache.toolsFor(admin(catalogue))).toBe(before);
  });
});
