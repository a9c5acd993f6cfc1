/**
 * Issue 39: one approval flow (llm-sim proposes a scale, it is approved, run by the real MCP server against kube-sim
 * and verified) exported as OTLP/HTTP to a receiver on loopback: the trace an SRE opens in their tracing backend.
 * Then the same flow with OTEL off: nothing reaches the receiver.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@skyflo/testkit/otlp-receiver';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { startTracing, tracingConfigFromEnv } from '../../src/platform/observability/tracing/index.ts';
import { find, startVerifyAgent, type VerifyAgent } from '../tool-calls/harness.ts';

const run = promisify(execFile);
const secret = 'hunter2-otel-planted-secret';
let directory: string;
let kubeconfig: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let agent: VerifyAgent;
let receiver: OtlpReceiver;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}

/** The user asks (with a secret in the message), the model proposes a scale, it is approved: two runs. */
async function approvedScale(name: string, replicas: number): Promise<void> {
  const call = { id: `call_scale_${name}`, name: 'k8s_scale', arguments: { name, resource_type: 'deployment', namespace: 'default', replicas } };
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `call_load_${name}`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [call] } },
      { match: { toolName: 'k8s_scale' }, reply: `Scaled. (${secret})` },
    ],
  });
  const first = (await agent.post('/agent/chat', { messages: [{ role: 'user', content: `scale ${name} to ${replicas}; the db password is ${secret}` }] })).frames;
  const conversationId = String(first[0]!.data['conversation_id']);
  const awaiting = find(first, 'tool.awaiting_approval')[0]!;
  const second = (await agent.post(`/agent/approvals/${call.id}`, { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] })).frames;
  expect(find(second, 'tool.verification').at(-1)).toMatchObject({ call_id: call.id, outcome: 'verified' });
  expect(await kubectl('get', 'deployment', name, '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe(String(replicas));
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-otel-'));
  kubeconfig = path.join(directory, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { readinessDelayMs: 20, startDelayMs: 10 } });
  for (const name of ['checkout-otel', 'billing-otel']) {
    const file = path.join(directory, `${name}.yaml`);
    await writeFile(file, `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: app, image: "nginx:1.27"}]}\n`);
    await kubectl('apply', '-f', file);
    await kubectl('rollout', 'status', `deployment/${name}`, '-n', 'default', '--timeout=60s');
  }
  mcp = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: kubeconfig, kubectlPath } });
  agent = await startVerifyAgent({ tools: createToolGateway({ url: mcp.url, authToken: 'engine-mcp-token' }) });
  receiver = await startOtlpReceiver();
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await mcp?.close();
  await kube?.close();
  await receiver?.close();
  await rm(directory, { recursive: true, force: true });
});

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);

describe('OpenTelemetry traces (issue 39)', () => {
  it('an approved, verified scale is one trace per run with model, tool, MCP server, approval and verification spans, and no argument or secret values', async () => {
    // no OTEL_EXPORTER_OTLP_PROTOCOL: the exporter's default, http/protobuf, as most installs run it
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'skyflo-test' };
    Object.assign(process.env, env); // the exporter reads its endpoint from the environment, as in production
    const tracing = await startTracing(tracingConfigFromEnv(env));
    expect(tracing.enabled).toBe(true);
    try {
      await approvedScale('checkout-otel', 3);
      await tracing.forceFlush();
      await receiver.waitFor((spans) => byName(spans, 'skyflo.verification').length > 0 && byName(spans, 'invoke_agent skyflo').length >= 2);
    } finally {
      await tracing.shutdown();
      for (const key of Object.keys(env)) delete process.env[key];
    }
    expect(receiver.rejected).toEqual([]);
    expect(new Set(receiver.encodings)).toEqual(new Set(['protobuf']));
    const spans = receiver.spans;
    const runs = byName(spans, 'invoke_agent skyflo');
    expect(runs.map((span) => span.attributes['skyflo.run.kind']).sort()).toEqual(['chat', 'decision']);
    for (const root of runs) expect(root.parentSpanId).toBeUndefined();
    const [chat, decision] = ['chat', 'decision'].map((kind) => runs.find((span) => span.attributes['skyflo.run.kind'] === kind)!);
    expect(chat!.traceId).not.toBe(decision!.traceId);
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['skyflo-test']));

    // model calls: children of their run, with the GenAI attributes and token usage
    const models = spans.filter((span) => span.attributes['gen_ai.operation.name'] === 'chat');
    expect(models.length).toBeGreaterThanOrEqual(3);
    for (const model of models) {
      expect([chat!.spanId, decision!.spanId]).toContain(model.parentSpanId);
      expect(model.attributes).toMatchObject({ 'gen_ai.provider.name': expect.any(String), 'gen_ai.request.model': expect.any(String), 'gen_ai.usage.input_tokens': expect.any(Number), 'gen_ai.usage.output_tokens': expect.any(Number) });
    }

    // the approved scale: the decision run's tool span, the MCP server's span continuing it, approval and verification
    const scale = byName(spans, 'execute_tool k8s_scale');
    expect(scale).toHaveLength(1);
    expect(scale[0]).toMatchObject({ traceId: decision!.traceId, parentSpanId: decision!.spanId, attributes: { 'gen_ai.tool.name': 'k8s_scale', 'skyflo.tool.outcome': 'ok', 'skyflo.tool.duration_ms': expect.any(Number) } });
    const served = byName(spans, 'tools/call k8s_scale');
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ traceId: decision!.traceId, parentSpanId: scale[0]!.spanId, attributes: { 'mcp.method.name': 'tools/call', 'skyflo.tool.outcome': 'ok' } });
    const approval = byName(spans, 'skyflo.approval');
    expect(approval).toHaveLength(1);
    expect(approval[0]).toMatchObject({ traceId: decision!.traceId, parentSpanId: decision!.spanId, attributes: { 'skyflo.approval.decision': 'approved', 'skyflo.approval.wait_ms': expect.any(Number) } });
    const verification = byName(spans, 'skyflo.verification');
    expect(verification).toHaveLength(1);
    expect(verification[0]).toMatchObject({ traceId: decision!.traceId, parentSpanId: decision!.spanId, attributes: { 'skyflo.verification.outcome': 'verified' } });

    // nothing an argument, a prompt, an answer or a result holds: not the workload, not the planted secret
    const values = spans.flatMap((span) => Object.entries(span.attributes).map(([key, value]) => `${key}=${JSON.stringify(value)}`));
    expect(values.filter((entry) => entry.includes('checkout-otel') || entry.includes(secret) || entry.includes('db password'))).toEqual([]);
    expect(spans.flatMap((span) => Object.keys(span.attributes)).filter((key) => /arg|input\.value|output\.value|message|prompt|result/i.test(key))).toEqual([]);
  }, 180_000);

  it('with OTEL_EXPORTER_OTLP_PROTOCOL=http/json the same trace arrives as OTLP JSON', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'skyflo-json' };
    Object.assign(process.env, env);
    const exportsBefore = receiver.encodings.length;
    const tracing = await startTracing(tracingConfigFromEnv(env));
    try {
      await approvedScale('billing-otel', 3);
      await tracing.forceFlush();
      await receiver.waitFor((spans) => spans.some((span) => span.service === 'skyflo-json' && span.name === 'skyflo.verification'));
    } finally {
      await tracing.shutdown();
      for (const key of Object.keys(env)) delete process.env[key];
    }
    expect(new Set(receiver.encodings.slice(exportsBefore))).toEqual(new Set(['json']));
    const spans = receiver.spans.filter((span) => span.service === 'skyflo-json');
    const decision = spans.find((span) => span.name === 'invoke_agent skyflo' && span.attributes['skyflo.run.kind'] === 'decision');
    expect(decision).toBeDefined();
    expect(byName(spans, 'execute_tool k8s_scale')).toEqual([expect.objectContaining({ traceId: decision!.traceId, parentSpanId: decision!.spanId })]);
  }, 180_000);

  it('with no OTEL_* variables set, the same flow makes no exporter request', async () => {
    const before = receiver.requests;
    const tracing = await startTracing(tracingConfigFromEnv({}));
    expect(tracing.enabled).toBe(false);
    await approvedScale('billing-otel', 1);
    await tracing.shutdown();
    expect(receiver.requests).toBe(before);
  }, 180_000);
});
