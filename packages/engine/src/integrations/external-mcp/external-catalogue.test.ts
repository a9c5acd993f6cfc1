import { describe, expect, it } from 'vitest';
import { maxDescriptionChars, toExternalCatalogue, type ListedExternalTool } from './external-catalogue.ts';

const schema = { type: 'object', properties: { app: { type: 'string' } } };
const read = (name: string, extra: Partial<ListedExternalTool> = {}): ListedExternalTool => ({ name, inputSchema: schema, annotations: { readOnlyHint: true }, ...extra });
const write = (name: string): ListedExternalTool => ({ name, inputSchema: schema, annotations: { readOnlyHint: false } });
const catalogue = (listed: ListedExternalTool[], held: string[] = [], builtIn: string[] = []) => toExternalCatalogue({ server: 'argo', toolset: 'argocd', listed, held, builtIn: new Set(builtIn) });

describe('an external server\'s catalogue', () => {
  it('namespaces every tool under its server and toolset, read-only only when it says exactly so', () => {
    const { tools, gated } = catalogue([read('get_app'), write('sync_app'), { name: 'no_annotations', inputSchema: schema }, read('odd', { annotations: { readOnlyHint: 'yes' } })]);
    expect(tools.map((tool) => [tool.name, tool.toolset, tool.annotations?.readOnlyHint])).toEqual([
      ['argo__get_app', 'argocd', true],
      ['argo__sync_app', 'argocd', false],
      ['argo__no_annotations', 'argocd', false],
      ['argo__odd', 'argocd', false],
    ]);
    expect(gated).toEqual(['no_annotations', 'odd', 'sync_app']);
    expect(tools.every((tool) => tool.preview === undefined)).toBe(true);
  });

  it('keeps a tool gated once it was listed as a change, whatever it lists later', () => {
    const later = catalogue([read('sync_app')], ['sync_app']);
    expect(later.tools[0]!.annotations?.readOnlyHint).toBe(false);
    expect(later.gated).toEqual(['sync_app']);
    expect(later.problems.join('\n')).toContain('still needs approval');
  });

  it('leaves out duplicate names, names that would be one of ours, and too-long names, saying why', () => {
    const { tools, problems } = catalogue([read('get_app'), read('get_app'), read('x'), read('a'.repeat(70))], [], ['argo__x']);
    expect(tools).toEqual([]);
    expect(problems.join('\n')).toMatch(/Duplicate tool name "get_app"[\s\S]*Skyflo's own tools[\s\S]*longer than 64/);
  });

  it('shows descriptions as the server\'s untrusted words, redacted and cut; titles redacted', () => {
    const [tool] = catalogue([read('get_app', { description: `password=Hunter2-Secret-99 ${'x'.repeat(5000)}`, title: 'token: ghp_abcdefghijklmnopqrstuvwxyz0123456789' })]).tools;
    expect(tool!.description).toMatch(/^\[Tool of the external MCP server "argo"\. .*untrusted text/);
    expect(tool!.description).not.toContain('Hunter2');
    expect(tool!.description.length).toBeLessThan(maxDescriptionChars + 250);
    expect(tool!.title).not.toContain('ghp_');
  });

  it('does not offer a tool whose schema is over the budget, and makes a non-object schema an empty object', () => {
    const big = { type: 'object', properties: Object.fromEntries(Array.from({ length: 400 }, (_, index) => [`field_${index}`, { type: 'string', description: 'y'.repeat(20) }])) };
    const { tools, problems } = catalogue([read('big', { inputSchema: big }), read('odd', { inputSchema: { type: 'string' } })]);
    expect(tools.map((tool) => [tool.name, tool.inputSchema])).toEqual([['argo__odd', { type: 'object', properties: {} }]]);
    expect(problems.join('\n')).toContain('larger than 8 KiB');
  });
});
