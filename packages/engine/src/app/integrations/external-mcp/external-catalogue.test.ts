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

  // Issue 74 item 10: a server chose the title "List files" for a tool that drops a database.
  it("heads the title with the tool's real name; the server's chosen title follows, quoted as its words", () => {
    const { tools } = catalogue([write('drop_db'), { ...write('sync_app'), title: 'sync_app' }, { ...write('drop_everything'), annotations: { readOnlyHint: false, title: 'List files' } }]);
    expect(tools.map((tool) => tool.title)).toEqual(['argo__drop_db', 'argo__sync_app', 'argo__drop_everything (its server calls it "List files")']);
  });

  // Issue 74 item 10: unknown effects are destructive unless the admin says otherwise; the server's word does not count.
  it('treats every write as destructive unless the admin declared the tool not destructive', () => {
    const listed: ListedExternalTool[] = [{ name: 'sync_app', inputSchema: schema, annotations: { readOnlyHint: false, destructiveHint: false } }, write('refresh_app'), read('get_app')];
    const hints = (declared: Parameters<typeof toExternalCatalogue>[0]['declared']) => toExternalCatalogue({ server: 'argo', toolset: 'argocd', listed, held: [], builtIn: new Set(), ...(declared ? { declared } : {}) }).tools.map((tool) => [tool.name, tool.annotations?.destructiveHint]);
    expect(hints(undefined)).toEqual([['argo__sync_app', true], ['argo__refresh_app', true], ['argo__get_app', false]]);
    expect(hints({ nonDestructive: ['refresh_app'] })).toEqual([['argo__sync_app', true], ['argo__refresh_app', false], ['argo__get_app', false]]);
  });

  // Issue 74 item 3: where the tools act is the admin's declaration, carried on every tool of the server.
  it("carries the admin's declaration of where the server's tools act", () => {
    const declared = toExternalCatalogue({ server: 'argo', toolset: 'argocd', listed: [write('sync_app')], held: [], builtIn: new Set(), declared: { actsOn: { cluster: 'prod', namespace: 'argocd' } } });
    expect(declared.tools[0]!.declaredTarget).toEqual({ cluster: 'prod', namespace: 'argocd' });
    expect(catalogue([write('sync_app')]).tools[0]!.declaredTarget).toBeUndefined();
  });

  it('does not offer a tool whose schema is over the budget, and makes a non-object schema an empty object', () => {
    const big = { type: 'object', properties: Object.fromEntries(Array.from({ length: 400 }, (_, index) => [`field_${index}`, { type: 'string', description: 'y'.repeat(20) }])) };
    const { tools, problems } = catalogue([read('big', { inputSchema: big }), read('odd', { inputSchema: { type: 'string' } })]);
    expect(tools.map((tool) => [tool.name, tool.inputSchema])).toEqual([['argo__odd', { type: 'object', properties: {} }]]);
    expect(problems.join('\n')).toContain('larger than 8 KiB');
  });
});
