/**
 * k8s_port_forward's lifecycle. kube-sim has no pods/portforward subresource (its owner may add one), so the
 * forward itself is a fake process here: started with the exact guarded argv, closed by its TTL, one local
 * port per forward, failures reported. One test runs the real kubectl against kube-sim to show that its
 * refusal (no portforward subresource) comes back as a clear error and leaves nothing running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { createFakeCommandRunner, type FakeProcess } from '../../src/exec/fake-command-runner.ts';
import { createPortForwards, type PortForwards } from '../../src/port-forward/create-port-forwards.ts';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { eventually, startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;

beforeAll(async () => {
  harness = await startKubeHarness();
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {containers: [{name: main, image: "nginx:1.27"}]}\n';
  expect((await call('k8s_apply', { content: pod }, harness.deps)).isError).toBeFalsy();
});
afterAll(async () => {
  await harness?.close();
});

function call(name: string, input: Record<string, unknown>, deps: ToolDeps) {
  return runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });
}

/** A fake kubectl that reports "Forwarding from" for each pair, choosing 40000+n for ':remote' pairs. */
function kubectlThatForwards(process: FakeProcess) {
  const pairs = process.request.args.slice(process.request.args.indexOf('127.0.0.1') + 2);
  pairs.forEach((pair, index) => {
    const [local, remote] = pair.split(':');
    process.emit(`Forwarding from 127.0.0.1:${local || 40_000 + index} -> ${remote}`);
  });
}

function setUp(onStart: (process: FakeProcess) => void = kubectlThatForwards) {
  const runner = createFakeCommandRunner(() => ({}), onStart);
  const portForwards = createPortForwards({ runner, startTimeoutMs: 2_000 });
  const deps: ToolDeps = { ...harness.depsWith({ runner }), portForwards };
  return { runner, portForwards, deps };
}

describe('k8s_port_forward', () => {
  it('starts kubectl port-forward bound to 127.0.0.1 with the exact argv and returns the local address', async () => {
    const { runner, portForwards, deps } = setUp();
    const before = Date.now();
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80 9090:9090' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(runner.started).toHaveLength(1);
    expect(runner.started[0]!.request).toEqual({
      binary: deps.settings.kubectlPath,
      args: ['--kubeconfig', harness.kubeconfigPath, 'port-forward', '--namespace', 'default', '--address', '127.0.0.1', 'pod/web', '8080:80', '9090:9090'],
    });
    expect(result.text).toMatch(/^Forwarding \(namespace default\):\n {2}127\.0\.0\.1:8080 -> pod\/web:80\n {2}127\.0\.0\.1:9090 -> pod\/web:9090\nOpen until \S+ \(10 min\), then closed\./);
    const expires = Date.parse(String(result.structured?.['expires_at']));
    expect(expires - before).toBeGreaterThanOrEqual(10 * 60_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(result.structured).toMatchObject({ local_addresses: ['127.0.0.1:8080', '127.0.0.1:9090'] });
    expect(runner.started[0]!.stopped).toBe(false);
    expect(portForwards.list()).toHaveLength(1);
    portForwards.closeAll();
    expect(runner.started[0]!.stopped).toBe(true);
    await eventually(() => expect(portForwards.list()).toEqual([]));
  });

  it('with a named cluster, pins the API server loaded for it (--server), as every kubectl call does', async () => {
    const { runner, portForwards, deps } = setUp();
    const context = harness.deps.kubeConfig.currentContext;
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: '8081:80', context }, deps);
    expect(result.isError, result.text).toBeFalsy();
    const args = runner.started[0]!.request.args;
    expect(args.slice(0, args.indexOf('port-forward'))).toEqual(expect.arrayContaining(['--context', context, `--server=${harness.deps.kubeConfig.getCurrentCluster()!.server}`]));
    portForwards.closeAll();
    await eventually(() => expect(portForwards.list()).toEqual([]));
  });

  it('reports the local port kubectl chose for ":remote", and holds it', async () => {
    const { runner, portForwards, deps } = setUp();
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: ':80', ttl_minutes: 60 }, deps);
    expect(result.text).toContain('127.0.0.1:40000 -> pod/web:80');
    expect(result.text).toContain('(60 min)');
    const again = await call('k8s_port_forward', { resource_name: 'web', ports: '40000:81' }, deps);
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/Local port 40000 is already forwarded/);
    expect(runner.started).toHaveLength(1);
    portForwards.closeAll();
  });

  it('refuses a second forward on the same local port without starting kubectl, and allows it once the first is closed', async () => {
    const { runner, portForwards, deps } = setUp();
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80' }, deps)).isError).toBeFalsy();
    const second = await call('k8s_port_forward', { resource_name: 'web', ports: '8080:443' }, deps);
    expect(second.isError).toBe(true);
    expect(second.text).toBe("Local port 8080 is already forwarded (pod/web in namespace default).\nTry: pick another local port, or leave it out (':443') to let kubectl choose a free one");
    expect(second.structured).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(runner.started).toHaveLength(1);
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '8081:443' }, deps)).isError).toBeFalsy();
    expect(runner.started).toHaveLength(2);
    portForwards.closeAll();
    await eventually(() => expect(portForwards.list()).toEqual([]));
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '8080:443' }, deps)).isError).toBeFalsy();
    portForwards.closeAll();
  });

  it('closes the forward when its TTL runs out, and frees the port', async () => {
    const runner = createFakeCommandRunner(() => ({}), kubectlThatForwards);
    const portForwards: PortForwards = createPortForwards({ runner });
    const forward = await portForwards.start({ kubectlPath: 'kubectl', target: 'pod/web', namespace: 'default', ports: [{ local: 8080, remote: 80 }], ttlMs: 40 });
    expect(forward.forwarding).toEqual([{ local: 8080, remote: 80 }]);
    expect(runner.started[0]!.stopped).toBe(false);
    await eventually(() => expect(runner.started[0]!.stopped).toBe(true), 2_000);
    await eventually(() => expect(portForwards.list()).toEqual([]));
    await portForwards.start({ kubectlPath: 'kubectl', target: 'pod/web', namespace: 'default', ports: [{ local: 8080, remote: 80 }], ttlMs: 60_000 });
    expect(runner.started).toHaveLength(2);
    portForwards.closeAll();
  });

  it('reports kubectl failing to start the forward, and frees the port', async () => {
    const { runner, portForwards, deps } = setUp((process) => {
      process.emit('error: unable to listen on any of the requested ports: [{8080 80}]', 'stderr');
      process.exit(1);
    });
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/kubectl port-forward pod\/web in namespace default stopped: error: unable to listen on any of the requested ports/);
    expect(portForwards.list()).toEqual([]);
    expect(runner.started).toHaveLength(1);
  });

  it('gives up on a kubectl that never reports, and stops it', async () => {
    const runner = createFakeCommandRunner(() => ({}), () => {});
    const portForwards = createPortForwards({ runner, startTimeoutMs: 30 });
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80' }, { ...harness.depsWith({ runner }), portForwards });
    expect(result.text).toMatch(/did not start within 0\.03 s/);
    expect(runner.started[0]!.stopped).toBe(true);
  });

  it('checks the target, ports and TTL before starting anything', async () => {
    const { runner, deps } = setUp();
    expect((await call('k8s_port_forward', { resource_name: 'ghost', ports: '8080:80' }, deps)).text).toMatch(/ghost.*not found/);
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80:1' }, deps)).text).toMatch(/Invalid ports "8080:80:1"/);
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '0:80' }, deps)).text).toMatch(/Invalid ports "0:80"/);
    expect((await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80', ttl_minutes: 61 }, deps)).text).toMatch(/Invalid arguments for k8s_port_forward: ttl_minutes/);
    expect(runner.started).toEqual([]);
  });

  it('is approval-gated: listed as a mutating tool', () => {
    const tool = allTools.find((candidate) => candidate.name === 'k8s_port_forward')!;
    expect(tool.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
  });

  it('stops the forwards of an in-process server when that server closes', async () => {
    const runner = createFakeCommandRunner(() => ({}), kubectlThatForwards);
    const { client, close } = await connectInProcess({ deps: harness.depsWith({ runner }) });
    const result = await client.callTool({ name: 'k8s_port_forward', arguments: { resource_name: 'web', ports: '8080:80' } });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(runner.started[0]!.stopped).toBe(false);
    await close();
    expect(runner.started[0]!.stopped).toBe(true);
  });

  it('with the real kubectl: kube-sim has no portforward subresource, and the refusal is a clear error with nothing left running', async () => {
    const portForwards = createPortForwards({ runner: harness.deps.runner, startTimeoutMs: 10_000 });
    const result = await call('k8s_port_forward', { resource_name: 'web', ports: '8080:80' }, { ...harness.deps, portForwards });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^kubectl port-forward pod\/web in namespace default stopped: error: error upgrading connection: .*\nTry: the API server refused the forward stream/);
    expect(portForwards.list()).toEqual([]);
  });
});
