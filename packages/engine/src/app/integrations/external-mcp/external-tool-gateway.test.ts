import { describe, expect, it } from 'vitest';
import type { ToolGateway, ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import type { ExternalConnection } from './external-connection.ts';
import { createExternalServers, type ExternalServerConfig } from './external-servers.ts';
import { noPreviewText, withExternalServers } from './external-tool-gateway.ts';

const own: ToolInfo[] = [{ name: 'k8s_delete', title: 'Delete', description: '', inputSchema: { type: 'object' }, annotations: { readOnlyHint: false }, tags: ['k8s'], toolset: 'k8s' }];
const ownCalls: string[] = [];
const base: ToolGateway = {
  listTools: async () => own,
  callTool: async ({ name }) => (ownCalls.push(name), { text: `ours ${name}`, isError: false }),
  preview: async () => ({ text: 'our diff', isError: false }),
  close: async () => {},
};

function fakeConnection(listing: { tools: Array<{ name: string; inputSchema: Record<string, unknown>; annotations?: { readOnlyHint?: boolean } }> }, sent: unknown[]): ExternalConnection {
  return {
    listTools: async () => listing.tools,
    callTool: async (input) => (sent.push(input), { content: [{ type: 'text', text: `ran ${input.tool}; password=Hunter2-Secret-99\n${'line\n'.repeat(10_000)}` }] }),
    state: () => ({ status: 'connected' }),
    close: async () => {},
  };
}

const config = (held: string[] = []): ExternalServerConfig => ({ id: 's1', name: 'tiny', toolset: 'tinyops', transport: { type: 'http', url: 'http://127.0.0.1:1/mcp' }, enabled: true, held });

describe('Skyflo\'s tools beside an external server\'s', () => {
  it('lists both; a new catalogue array exactly when the external catalogue changes (the model tool cache key)', async () => {
    const listing: { tools: Array<{ name: string; inputSchema: Record<string, unknown>; annotations?: { readOnlyHint?: boolean } }> } = { tools: [{ name: 'get', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }] };
    let current = listing;
    const servers = createExternalServers({ connect: () => ({ ...fakeConnection(listing, []), listTools: async () => current.tools }) });
    servers.put(config());
    const gateway = withExternalServers(base, servers);
    const first = await gateway.listTools();
    expect(first.map((tool) => tool.name)).toEqual(['k8s_delete', 'tiny__get']);
    expect(await gateway.listTools()).toBe(first);
    current = { tools: [...listing.tools, { name: 'put', inputSchema: { type: 'object' } }] };
    const second = await gateway.listTools();
    expect(second).not.toBe(first);
    expect(second.map((tool) => tool.name)).toEqual(['k8s_delete', 'tiny__get', 'tiny__put']);
  });

  it('routes `__` names to the external server with only name and arguments, redacted and budgeted; ours to ours', async () => {
    const sent: unknown[] = [];
    const servers = createExternalServers({ connect: () => fakeConnection({ tools: [{ name: 'deploy', inputSchema: { type: 'object' } }] }, sent) });
    servers.put(config());
    const gateway = withExternalServers(base, servers);
    await gateway.listTools();
    const result = await gateway.callTool({ name: 'tiny__deploy', args: { app: 'shop' }, impersonate: { user: 'ann', groups: [] }, jenkinsCredentials: { username: 'u', api_token: 't' } as never });
    expect(sent).toEqual([{ tool: 'deploy', args: { app: 'shop' } }]);
    expect(result.text).toContain('ran deploy');
    expect(result.text).not.toContain('Hunter2');
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(24 * 1024);
    expect(await gateway.preview({ name: 'tiny__deploy', args: {} })).toEqual({ text: noPreviewText('tiny__deploy'), isError: true });
    expect(await gateway.callTool({ name: 'k8s_delete', args: {} })).toMatchObject({ text: 'ours k8s_delete' });
    expect(ownCalls).toEqual(['k8s_delete']);
  });

  it('refuses a tool of a removed or disabled server, or one it no longer lists', async () => {
    const servers = createExternalServers({ connect: () => fakeConnection({ tools: [{ name: 'deploy', inputSchema: { type: 'object' } }] }, []) });
    servers.put(config());
    const gateway = withExternalServers(base, servers);
    await gateway.listTools();
    await expect(gateway.callTool({ name: 'tiny__other', args: {} })).rejects.toThrow('is not among the tools');
    servers.put({ ...config(), enabled: false });
    await expect(gateway.callTool({ name: 'tiny__deploy', args: {} })).rejects.toThrow('is disabled');
    await servers.remove('s1');
    await expect(gateway.callTool({ name: 'tiny__deploy', args: {} })).rejects.toThrow('not configured');
    expect((await gateway.listTools()).map((tool) => tool.name)).toEqual(['k8s_delete']);
  });

  it('records a tool as gated before it is offered', async () => {
    const recorded: string[][] = [];
    const servers = createExternalServers({ connect: () => fakeConnection({ tools: [{ name: 'deploy', inputSchema: { type: 'object' } }] }, []), onGated: async (_id, gated) => void recorded.push(gated) });
    servers.put(config());
    await withExternalServers(base, servers).listTools();
    expect(recorded).toEqual([['deploy']]);
  });
});
