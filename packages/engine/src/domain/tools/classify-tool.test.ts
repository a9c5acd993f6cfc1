/**
 * The engine ↔ MCP contract against the real server: every tool our MCP server lists parses with the protocol's
 * schemas (@skyflo/protocol's mcp-wire.ts) and carries the `_meta` keys the engine reads, so the engine files each tool
 * under its toolset and previews mutating ones through preview_tool_call; and the keys the engine writes on a call
 * (impersonation, Jenkins credentials) and reads off a failure (the structured error) are the ones the server uses.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { connectInProcess, createFakeCommandRunner, type ToolDeps } from '@skyflo/mcp-server';
import {
  declaredToolAnnotationsSchema,
  listedToolMetaSchema,
  listedToolSchema,
  mcpMetaKeys,
  previewToolCallArgumentsShape,
  previewToolCallName,
  previewToolCallResultShape,
  toolsets,
  type ListedTool,
} from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toToolInfo } from './classify-tool.ts';
import { createToolGateway } from '../../adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../platform/ports/tool-gateway.ts';

const deps: ToolDeps = {
  settings: { kubectlPath: 'kubectl', helmPath: 'helm', outputBudgetBytes: 24_000, readOnly: false, integrationsNamespace: 'default' },
  kubeConfig: new KubeConfig(),
  runner: createFakeCommandRunner(),
  jenkinsCredentials: { resolve: async () => { throw new Error('unused: no Jenkins call is made'); } },
};

let listed: unknown[];
let engineSide: ToolGateway;
let thirdParty: ToolGateway;

beforeAll(async () => {
  // The engine's own connection (trusted), and one the server treats as any other client's.
  const own = await connectInProcess({ deps });
  const other = await connectInProcess({ deps, trustedCaller: false });
  listed = (await own.client.listTools()).tools;
  engineSide = createToolGateway({ client: own.client, closeClient: own.close });
  thirdParty = createToolGateway({ client: other.client, closeClient: other.close });
});

afterAll(async () => {
  await engineSide?.close();
  await thirdParty?.close();
});

describe('tools/list of the real MCP server, read by the engine', () => {
  it('lists tools that each parse with the protocol schema, with all declared hints and well-formed _meta', () => {
    expect(listed.length).toBeGreaterThan(50);
    for (const raw of listed) {
      const tool = listedToolSchema.parse(raw);
      expect(declaredToolAnnotationsSchema.safeParse(tool.annotations).success, tool.name).toBe(true);
      expect(listedToolMetaSchema.safeParse(tool._meta).success, tool.name).toBe(true);
    }
  });

  it('every tool carries its toolset under the meta key and the engine files it there; the engine-only tools carry none', () => {
    const tools = listed.map((raw) => listedToolSchema.parse(raw));
    const neutral: string[] = [];
    for (const tool of tools) {
      const declared = tool._meta?.[mcpMetaKeys.toolset];
      if (declared === undefined) neutral.push(tool.name);
      else expect(toolsets, tool.name).toContain(declared);
      // A tool without a toolset is never offered to the model (tool-exposure.ts): the engine must not guess one.
      expect(toToolInfo(tool).toolset, tool.name).toBe(declared);
    }
    expect(neutral.sort()).toEqual(['capture_change_baseline', 'list_clusters', previewToolCallName, 'verify_change'].sort());
    for (const toolset of toolsets) expect(tools.filter((tool) => toToolInfo(tool).toolset === toolset).length, toolset).toBeGreaterThan(0);
  });

  it('mutating tools flagged with the preview key are previewed through a read-only preview_tool_call', () => {
    const tools = listed.map((raw) => listedToolSchema.parse(raw));
    const flagged = tools.filter((tool) => tool._meta?.[mcpMetaKeys.preview] === true);
    expect(flagged.map((tool) => tool.name)).toEqual(expect.arrayContaining(['k8s_scale', 'helm_upgrade', 'argo_undo']));
    for (const tool of flagged) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(false);
      expect(toToolInfo(tool).preview?.viaPreviewToolCall, tool.name).toBe(true);
    }
    expect(toToolInfo(tools.find((tool) => tool.name === 'k8s_scale') as ListedTool).preview).toEqual({ tool: 'k8s_diff', viaPreviewToolCall: true });
    const preview = tools.find((tool) => tool.name === previewToolCallName);
    expect(preview?.annotations?.readOnlyHint).toBe(true);
    // Its listed arguments and structured result are the protocol's, field for field.
    expect(Object.keys((preview?.inputSchema as { properties: object }).properties).sort()).toEqual(Object.keys(previewToolCallArgumentsShape).sort());
    const output = (preview as { outputSchema?: { properties: object } }).outputSchema;
    expect(Object.keys(output?.properties ?? {})).toEqual(expect.arrayContaining(Object.keys(previewToolCallResultShape)));
  });
});

describe('tools/call keys', () => {
  it("a failure's structured error travels under the meta key the gateway reads", async () => {
    const outcome = await engineSide.callTool({ name: previewToolCallName, args: { tool: 'no_such_tool', arguments: {} } });
    expect(outcome.isError).toBe(true);
    expect(outcome.structured).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('the server reads the impersonation and Jenkins credentials the gateway sends, and refuses them from anyone but the engine', async () => {
    const asAlice = await thirdParty.callTool({ name: 'k8s_scale', args: { resource_type: 'deployment', name: 'web', replicas: 2 }, impersonate: { user: 'alice', groups: ['ops'] } });
    expect(asAlice).toMatchObject({ isError: true, structured: { error: { code: 'FORBIDDEN' } } });
    expect(asAlice.text).toContain('asked to act as "alice"');
    const withJenkins = await thirdParty.callTool({ name: 'jenkins_get_jobs', args: { credentials_ref: 'skyflo/jenkins' }, jenkinsCredentials: { api_url: 'http://127.0.0.1:1', username: 'u', api_token: 't' } });
    expect(withJenkins).toMatchObject({ isError: true, structured: { error: { code: 'FORBIDDEN' } } });
    expect(withJenkins.text).toContain('sent Jenkins credentials');
  });

  it('the engine sending malformed credentials is told which meta key was wrong', async () => {
    const outcome = await engineSide.callTool({ name: 'jenkins_get_jobs', args: { credentials_ref: 'skyflo/jenkins' }, jenkinsCredentials: { api_url: '', username: 'u', api_token: 't' } });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toContain(mcpMetaKeys.jenkinsCredentials);
  });
});
