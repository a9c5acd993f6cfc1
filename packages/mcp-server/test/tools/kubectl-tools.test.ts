/**
 * Every kubectl tool against kube-sim (and the real kubectl where a tool shells out): the cluster state
 * or output a user would see, plus a failure case each.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath } from '@skyflo/testkit/tools';
import { createFakeCommandRunner } from '../../src/exec/fake-command-runner.ts';
import { startKubeHarness, eventually, type KubeHarness } from '../support/kube-harness.ts';

let harness: KubeHarness;
const call = (name: string, input: Record<string, unknown>) => harness.call(name, input);
const store = () => harness.sim.cluster.store;
const type = (group: string, resource: string) => harness.sim.cluster.registry.byResource(group, resource)!;
const deployment = (name: string, namespace = 'default') => store().get(type('apps', 'deployments'), namespace, name);
const podsOf = (app: string, namespace = 'default') => store().list(type('', 'pods'), namespace).filter((pod) => pod.metadata.labels?.app === app && !pod.metadata.deletionTimestamp);

const manifest = (name: string, replicas = 2, image = 'nginx:1.27') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${image}
        env:
        - {name: DB_PASSWORD, value: hunter2}
        - {name: LOG_LEVEL, value: debug}
`;

async function deploy(name: string, replicas = 2): Promise<void> {
  const result = await call('k8s_apply', { content: manifest(name, replicas) });
  expect(result.isError).toBeFalsy();
  await eventually(() => {
    const live = deployment(name);
    expect(live?.status?.availableReplicas).toBe(replicas);
  });
}

beforeAll(async () => {
  harness = await startKubeHarness();
  await deploy('web');
});
afterAll(() => harness?.close());

describe('k8s_apply', () => {
  it('creates, then reports unchanged, then configured', async () => {
    const yaml = `${manifest('shop', 1)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-config}\ndata: {color: blue}\n`;
    expect((await call('k8s_apply', { content: yaml })).text).toBe('deployment.apps/shop created\nconfigmap/shop-config created');
    expect(store().get(type('', 'configmaps'), 'default', 'shop-config')?.data).toEqual({ color: 'blue' });
    expect((await call('k8s_apply', { content: yaml })).text).toBe('deployment.apps/shop unchanged\nconfigmap/shop-config unchanged');
    const changed = yaml.replace('color: blue', 'color: green');
    expect((await call('k8s_apply', { content: changed })).text).toContain('configmap/shop-config configured');
    expect(store().get(type('', 'configmaps'), 'default', 'shop-config')?.data).toEqual({ color: 'green' });
  });

  it('dry_run changes nothing and shows the diff', async () => {
    const result = await call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ghost}\ndata: {a: "1"}\n', dry_run: true });
    expect(result.text).toContain('configmap/ghost created (server dry run)');
    expect(result.text).toContain('+  a: "1"');
    expect(store().get(type('', 'configmaps'), 'default', 'ghost')).toBeUndefined();
  });

  it('refuses invalid YAML and unknown kinds without applying anything', async () => {
    const bad = await call('k8s_apply', { content: 'kind: [unclosed' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/content is not valid YAML/);
    const unknown = await call('k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/does not serve kind Widget/);
    expect(store().get(type('', 'configmaps'), 'default', 'first')).toBeUndefined();
  });
});

describe('k8s_get', () => {
  it('prints a kubectl-like table from the Table API', async () => {
    const result = await call('k8s_get', { resource_type: 'deploy' });
    const lines = result.text.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(result.text).toMatch(/^web\s+2\/2\s+2\s+2\s+\S+$/m);
  });

  it('adds NAMESPACE for all_namespaces and extra columns for wide', async () => {
    const all = await call('k8s_get', { resource_type: 'pods', all_namespaces: true });
    expect(all.text.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS/);
    const wide = await call('k8s_get', { resource_type: 'pods', output: 'wide', label_selector: 'app=web' });
    expect(wide.text.split('\n')[0]).toMatch(/\bNODE\b/);
    expect(wide.text.split('\n')).toHaveLength(3);
  });

  it('supports name, json and yaml output', async () => {
    const names = await call('k8s_get', { resource_type: 'deployments', output: 'name' });
    expect(names.text.split('\n')).toContain('deployment.apps/web');
    const json = JSON.parse((await call('k8s_get', { resource_type: 'deployment', name: 'web', output: 'json' })).text);
    expect(json.spec.replicas).toBe(2);
    expect(json.metadata.managedFields).toBeUndefined();
    const yaml = await call('k8s_get', { resource_type: 'configmaps', output: 'yaml' });
    expect(yaml.text).toContain('kind: List');
  });

  it('supports resource_type "all" like kubectl get all', async () => {
    const result = await call('k8s_get', { resource_type: 'all' });
    expect(result.text).toMatch(/^NAME\s+READY\s+STATUS/);
    expect(result.text).toMatch(/^pod\/web-\S+\s+1\/1\s+Running/m);
    expect(result.text).toMatch(/^deployment\.apps\/web\s+2\/2/m);
    expect(result.text).toMatch(/^replicaset\.apps\/web-\S+/m);
    const withName = await call('k8s_get', { resource_type: 'all', name: 'web' });
    expect(withName.text).toMatch(/cannot be combined with name/);
  });

  it('explains unknown types, missing objects and conflicting flags', async () => {
    const unknown = await call('k8s_get', { resource_type: 'widgets' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/Unknown resource type "widgets"[\s\S]*Try: use a plural name/);
    const missing = await call('k8s_get', { resource_type: 'pods', name: 'nope' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/not found[\s\S]*Try: list what exists/);
    const both = await call('k8s_get', { resource_type: 'pods', namespace: 'default', all_namespaces: true });
    expect(both.text).toMatch(/mutually exclusive/);
    const empty = await call('k8s_get', { resource_type: 'pods', namespace: 'empty-ns' });
    expect(empty.text).toBe('No resources found in namespace "empty-ns".');
  });
});

describe('k8s_describe (real kubectl)', () => {
  it('describes a deployment', async () => {
    const result = await call('k8s_describe', { resource_type: 'deployment', name: 'web' });
    expect(result.isError).toBeFalsy();
    expect(result.text).toMatch(/^Name:\s+web$/m);
    expect(result.text).toMatch(/Replicas:\s+2 desired/);
  });

  it('reports a missing object', async () => {
    const result = await call('k8s_describe', { resource_type: 'deployment', name: 'ghost' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/ghost.*not found/);
  });
});

describe('k8s_logs', () => {
  it('returns the tail of a container log', async () => {
    const pod = podsOf('web')[0];
    const result = await call('k8s_logs', { pod_name: pod.metadata.name, num_lines: 3 });
    expect(result.isError).toBeFalsy();
    const lines = result.text.split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(3);
  });

  it('fails clearly for a missing pod or a bad since', async () => {
    const missing = await call('k8s_logs', { pod_name: 'ghost' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/ghost/);
    const since = await call('k8s_logs', { pod_name: 'ghost', since: 'yesterday' });
    expect(since.text).toMatch(/Invalid since "yesterday"/);
  });
});

describe('k8s_logs budget', () => {
  it('keeps the newest lines of a long log and says what was cut', async () => {
    const pod = podsOf('web')[0].metadata.name;
    // 600 leaves 300 bytes for lines after the note: an nginx access line (~110 bytes, once the simulated probe has
    // run) fits whole, so what is kept is whole lines of the full log; the startup lines alone are ~700 bytes.
    const small = harness.depsWith({ outputBudgetBytes: 600 });
    const tailed = await harness.call('k8s_logs', { pod_name: pod, num_lines: 1000 }, small);
    const full = (await call('k8s_logs', { pod_name: pod, num_lines: 1000 })).text.split('\n');
    expect(full.join('\n').length).toBeGreaterThan(600);
    expect(Buffer.byteLength(tailed.text)).toBeLessThanOrEqual(600);
    const [note, ...kept] = tailed.text.split('\n');
    expect(note).toMatch(/^\[output cut: showing the last \d+ of \d+ lines/);
    expect(kept.length).toBeGreaterThan(0);
    for (const line of kept) expect(full).toContain(line);
    expect(kept).not.toContain(full[0]);
  });
});

describe('wait_for_x_seconds', () => {
  it('waits and refuses over 300', async () => {
    expect((await call('wait_for_x_seconds', { seconds: 0 })).text).toBe('Waited for 0 seconds');
    const tooLong = await call('wait_for_x_seconds', { seconds: 301 });
    expect(tooLong.isError).toBe(true);
    expect(tooLong.text).toMatch(/seconds/);
  });
});

describe('rollouts', () => {
  it('set_image → rollout_status → history → undo', async () => {
    await deploy('api', 2);
    const set = await call('k8s_set_image', { resource_name: 'api', resource_type: 'deployment', container_images: 'web=nginx:1.28' });
    expect(set.text).toBe('deployment.apps/api image updated');
    expect(deployment('api')?.spec.template.spec.containers[0].image).toBe('nginx:1.28');
    const status = await call('k8s_rollout_status', { name: 'api', timeout_seconds: 20 });
    expect(status.text).toMatch(/deployment "api" successfully rolled out$/);
    const history = await call('k8s_rollout_history', { name: 'api', resource_type: 'deployment' });
    expect(history.text).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const detail = await call('k8s_rollout_history', { name: 'api', resource_type: 'deployment', revision: 1 });
    expect(detail.text).toContain('image: nginx:1.27');
    const preview = await call('k8s_diff', { operation: 'rollout_undo', name: 'api', resource_type: 'deployment' });
    expect(preview.text).toMatch(/rolled back to revision 1 \(server dry run\)[\s\S]*-\s+image: nginx:1\.28\n\+\s+image: nginx:1\.27/);
    expect(deployment('api')?.spec.template.spec.containers[0].image).toBe('nginx:1.28');
    const undo = await call('k8s_rollout_undo', { name: 'api', resource_type: 'deployment' });
    expect(undo.text).toBe('deployment.apps/api rolled back to revision 1');
    expect(deployment('api')?.spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('rollout failures are explained', async () => {
    expect((await call('k8s_rollout_status', { name: 'ghost' })).text).toMatch(/ghost.*not found/);
    expect((await call('k8s_rollout_history', { name: 'web', resource_type: 'deployment', revision: 9 })).text).toMatch(/has no revision 9/);
    const undo = await call('k8s_rollout_undo', { name: 'web', resource_type: 'deployment' });
    expect(undo.isError).toBe(true);
    expect(undo.text).toMatch(/no previous revision/);
    const bad = await call('k8s_set_image', { resource_name: 'web', resource_type: 'deployment', container_images: 'sidecar=envoy:1' });
    expect(bad.text).toMatch(/no container named "sidecar"[\s\S]*its containers are: web/);
  });

  it('rollout_restart stamps the pod template', async () => {
    const result = await call('k8s_rollout_restart', { name: 'web' });
    expect(result.text).toBe('deployment.apps/web restarted');
    expect(deployment('web')?.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-/);
    expect((await call('k8s_rollout_restart', { name: 'ghost' })).isError).toBe(true);
  });
});

describe('k8s_scale and k8s_patch', () => {
  it('scales a deployment', async () => {
    expect((await call('k8s_scale', { name: 'shop', resource_type: 'deployment', replicas: 3 })).text).toBe('deployment.apps/shop scaled');
    expect(deployment('shop')?.spec.replicas).toBe(3);
    const negative = await call('k8s_scale', { name: 'shop', resource_type: 'deployment', replicas: -1 });
    expect(negative.text).toMatch(/Invalid arguments for k8s_scale: replicas/);
    const configMap = await call('k8s_scale', { name: 'shop-config', resource_type: 'configmap', replicas: 2 });
    expect(configMap.isError).toBe(true);
  });

  it('patches with strategic, merge and json patches', async () => {
    await call('k8s_patch', { name: 'shop', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"front"}}}' });
    expect(deployment('shop')?.metadata.labels).toMatchObject({ tier: 'front' });
    await call('k8s_patch', { name: 'shop-config', resource_type: 'configmap', patch: 'data:\n  size: large\n', patch_type: 'merge' });
    expect(store().get(type('', 'configmaps'), 'default', 'shop-config')?.data.size).toBe('large');
    await call('k8s_patch', { name: 'shop-config', resource_type: 'cm', patch: '[{"op":"remove","path":"/data/size"}]', patch_type: 'json' });
    expect(store().get(type('', 'configmaps'), 'default', 'shop-config')?.data.size).toBeUndefined();
    const bad = await call('k8s_patch', { name: 'shop', resource_type: 'deployment', patch: '{"spec":1}', patch_type: 'json' });
    expect(bad.text).toMatch(/json patch must be a list/);
  });
});

describe('k8s_diff', () => {
  it('previews scale, set_image, patch and delete without changing anything', async () => {
    const snapshot = () => JSON.stringify({ spec: deployment('web')?.spec, labels: deployment('web')?.metadata.labels });
    const before = snapshot();
    const scale = await call('k8s_diff', { operation: 'scale', name: 'web', resource_type: 'deployment', replicas: 5 });
    expect(scale.text).toContain('-  replicas: 2\n+  replicas: 5');
    const image = await call('k8s_diff', { operation: 'set_image', name: 'web', resource_type: 'deployment', container_images: 'web=nginx:2' });
    expect(image.text).toMatch(/-\s+image: nginx:1\.27\n\+\s+image: nginx:2/);
    const patch = await call('k8s_diff', { operation: 'patch', name: 'web', resource_type: 'deployment', patch: '{"metadata":{"labels":{"x":"y"}}}' });
    expect(patch.text).toMatch(/\+\s+x: y/);
    const remove = await call('k8s_diff', { operation: 'delete', name: 'web', resource_type: 'deployment' });
    expect(remove.text).toContain('deployment.apps "web" deleted (server dry run)');
    expect(remove.text).toMatch(/^-kind: Deployment$/m);
    expect(snapshot()).toBe(before);
    expect(deployment('web')?.spec.replicas).toBe(2);
  });

  it('says when nothing would change and when arguments are missing', async () => {
    const same = await call('k8s_diff', { operation: 'scale', name: 'web', resource_type: 'deployment', replicas: 2 });
    expect(same.text).toContain('No changes');
    const missing = await call('k8s_diff', { operation: 'scale', name: 'web' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/needs resource_type/);
  });
});

describe('nodes', () => {
  it('cordons and uncordons', async () => {
    const nodes = () => harness.sim.cluster.store.get(type('', 'nodes'), undefined, 'sim-worker-2');
    expect((await call('k8s_cordon', { node_name: 'sim-worker-2' })).text).toBe('node/sim-worker-2 cordoned');
    expect(nodes()?.spec.unschedulable).toBe(true);
    expect((await call('k8s_cordon', { node_name: 'sim-worker-2' })).text).toBe('node/sim-worker-2 already cordoned');
    expect((await call('k8s_uncordon', { node_name: 'sim-worker-2' })).text).toBe('node/sim-worker-2 uncordoned');
    expect(nodes()?.spec.unschedulable).toBeFalsy();
    expect((await call('k8s_cordon', { node_name: 'ghost-node' })).text).toMatch(/ghost-node.*not found/);
  });

  it('drains a node by evicting controller-owned pods, and refuses bare pods', async () => {
    const onNode = (node: string) => store().list(type('', 'pods')).filter((pod) => pod.spec?.nodeName === node && !pod.metadata.deletionTimestamp);
    const node = podsOf('web')[0].spec.nodeName as string;
    const bare = await call('k8s_run_pod', { name: 'bare', image: 'busybox:1.36', command: 'sleep 3600' });
    expect(bare.text).toBe('pod/bare created');
    const bareNode = await eventually(() => {
      const scheduled = store().get(type('', 'pods'), 'default', 'bare')?.spec?.nodeName;
      expect(scheduled).toBeTruthy();
      return scheduled as string;
    });
    const refused = await call('k8s_drain', { node_name: bareNode });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/cannot delete Pods that declare no controller[\s\S]*default\/bare/);
    await call('k8s_delete', { name: 'bare', resource_type: 'pod' });
    await call('k8s_uncordon', { node_name: bareNode });

    const drained = await call('k8s_drain', { node_name: node });
    expect(drained.isError, drained.text).toBeFalsy();
    expect(drained.text).toMatch(/node\/\S+ drained$/);
    expect(onNode(node).filter((pod) => pod.metadata.labels?.app === 'web')).toHaveLength(0);
    await call('k8s_uncordon', { node_name: node });
  });
});

describe('pods: run, exec, port-forward, delete', () => {
  it('runs a pod and execs in it with the real kubectl', async () => {
    expect((await call('k8s_run_pod', { name: 'toolbox', image: 'busybox:1.36', command: "sh -c 'sleep 3600'" })).text).toBe('pod/toolbox created');
    const pod = store().get(type('', 'pods'), 'default', 'toolbox');
    expect(pod?.spec.containers[0]).toMatchObject({ image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3600'] });
    await eventually(() => expect(store().get(type('', 'pods'), 'default', 'toolbox')?.status?.phase).toBe('Running'));
    const exec = await call('k8s_exec', { pod_name: 'toolbox', command: 'echo hello from the pod' });
    expect(exec.isError).toBeFalsy();
    expect(exec.text).toBe('hello from the pod');
  });

  it('runs a pod with labels, env, resources and a container name (checked with the real kubectl)', async () => {
    const result = await call('k8s_run_pod', {
      name: 'debugger',
      image: 'busybox:1.36',
      command: "sh -c 'sleep 3600'",
      container_name: 'shell',
      labels: { app: 'debug', 'example.com/team': 'sre' },
      env: { LOG_LEVEL: 'debug', TARGET: 'payments.prod' },
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 0.5, memory: '128Mi' } },
    });
    expect(result.text).toBe('pod/debugger created');
    const { stdout } = await promisify(execFile)(kubectlPath, ['--kubeconfig', harness.kubeconfigPath, 'get', 'pod', 'debugger', '-o', 'json']);
    const pod = JSON.parse(stdout);
    expect(pod.metadata.labels).toEqual({ app: 'debug', 'example.com/team': 'sre' });
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0]).toMatchObject({
      name: 'shell',
      image: 'busybox:1.36',
      command: ['sh', '-c', 'sleep 3600'],
      env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'TARGET', value: 'payments.prod' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '0.5', memory: '128Mi' } },
    });
    await eventually(() => expect(store().get(type('', 'pods'), 'default', 'debugger')?.status?.phase).toBe('Running'));
    const exec = await call('k8s_exec', { pod_name: 'debugger', container_name: 'shell', command: 'printenv LOG_LEVEL' });
    expect(exec.text).toBe('debug');
  });

  it('refuses bad labels, env names, quantities and requests above limits, creating nothing', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ labels: { 'bad key!': 'x' } }, /Invalid label key "bad key!"/],
      [{ labels: { app: 'has spaces' } }, /Invalid value "has spaces" for label "app"/],
      [{ env: { '1BAD': 'x' } }, /Invalid environment variable name "1BAD"/],
      [{ resources: { requests: { cpu: 'lots' } } }, /Invalid quantity "lots" for requests\.cpu/],
      [{ resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }, /memory request \(1Gi\) is above its limit \(512Mi\)/],
      [{ container_name: '--privileged' }, /container_name/],
    ];
    for (const [extra, message] of cases) {
      const result = await call('k8s_run_pod', { name: 'rejected', image: 'busybox:1.36', ...extra });
      expect(result.isError, JSON.stringify(extra)).toBe(true);
      expect(result.text).toMatch(message);
    }
    expect(store().get(type('', 'pods'), 'default', 'rejected')).toBeUndefined();
  });

  it('refuses host escapes and hostile images for run_pod', async () => {
    const overrides = await call('k8s_run_pod', { name: 'evil', image: 'busybox', command: '--overrides={"spec":{"hostPID":true}} sh' });
    expect(overrides.isError).toBe(true);
    expect(overrides.text).toMatch(/--overrides/);
    const image = await call('k8s_run_pod', { name: 'evil', image: '--privileged' });
    expect(image.text).toMatch(/Invalid image/);
    expect(store().get(type('', 'pods'), 'default', 'evil')).toBeUndefined();
  });

  it('exec says when a command is missing from the image, and passes on a command\'s own failure', async () => {
    await eventually(() => expect(store().get(type('', 'pods'), 'default', 'toolbox')?.status?.phase).toBe('Running'));
    const direct = await call('k8s_exec', { pod_name: 'toolbox', command: 'kubectl-debug --all' });
    expect(direct.isError).toBe(true);
    expect(direct.text).toMatch(/^Command not found in the container image: kubectl-debug \(in pod toolbox\)\.\nTry: check that the image of pod toolbox ships "kubectl-debug" .*sh -c 'kubectl-debug --all'/);
    expect(direct.text).not.toMatch(/k8s_get|list what exists/);
    expect(direct.structured).toMatchObject({ error: { code: 'NOT_FOUND' } });
    // Through a shell, the missing program is the one the shell could not find, and sh -c is not suggested again.
    const viaShell = await call('k8s_exec', { pod_name: 'toolbox', command: "sh -c 'jq .version /etc/info'" });
    expect(viaShell.text).toMatch(/^Command not found in the container image: jq \(in pod toolbox\)\.\nTry: check that the image of pod toolbox ships "jq"/);
    expect(viaShell.text).not.toMatch(/sh -c/);
    const failing = await call('k8s_exec', { pod_name: 'toolbox', command: 'cat /nonexistent' });
    // busybox's own wording, from kube-sim's container model
    expect(failing.text).toMatch(/^The command exited with code 1 in pod toolbox:\ncat: can't open '\/nonexistent': No such file or directory\nTry: the command itself failed/);
    const quiet = await call('k8s_exec', { pod_name: 'toolbox', command: "sh -c 'exit 3'" });
    expect(quiet.text).toMatch(/^The command exited with code 3 in pod toolbox\.\n/);
  });

  it('exec recognises a container runtime refusing to start a missing program (real clusters)', async () => {
    const runner = createFakeCommandRunner(() => ({
      exitCode: 1,
      stderr: 'error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "3f2a": OCI runtime exec failed: exec failed: unable to start container process: exec: "jq": executable file not found in $PATH: unknown\n',
    }));
    const result = await harness.call('k8s_exec', { pod_name: 'web-1', command: 'jq .' }, harness.depsWith({ runner }));
    expect(result.text).toMatch(/^Command not found in the container image: jq \(in pod web-1\)\./);
    expect(runner.calls[0].args.slice(-3)).toEqual(['--', 'jq', '.']);
  });

  it('exec reports a missing pod', async () => {
    const result = await call('k8s_exec', { pod_name: 'ghost', command: 'ls' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/ghost.*not found/);
  });

  it('port-forward checks its input and target (the lifecycle is in port-forward.test.ts)', async () => {
    const result = await call('k8s_port_forward', { resource_name: 'toolbox', ports: '8080:80' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/started without a port-forward registry/);
    expect((await call('k8s_port_forward', { resource_name: 'toolbox', ports: '99999:80' })).text).toMatch(/Invalid ports/);
    expect((await call('k8s_port_forward', { resource_name: 'ghost', ports: '8080:80' })).text).toMatch(/not found/);
  });

  it('deletes (dry run first) and reports missing objects', async () => {
    const dry = await call('k8s_delete', { name: 'toolbox', resource_type: 'pod', dry_run: true });
    expect(dry.text).toBe('pod "toolbox" deleted (server dry run)');
    expect(store().get(type('', 'pods'), 'default', 'toolbox')).toBeDefined();
    expect((await call('k8s_delete', { name: 'toolbox', resource_type: 'pod' })).text).toBe('pod "toolbox" deleted');
    await eventually(() => expect(store().get(type('', 'pods'), 'default', 'toolbox')).toBeUndefined());
    const again = await call('k8s_delete', { name: 'toolbox', resource_type: 'pod' });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/not found/);
  });
});

describe('cluster info and metrics', () => {
  it('shows the control plane and nodes', async () => {
    const info = await call('k8s_cluster_info', {});
    expect(info.text).toContain(`Kubernetes control plane is running at ${harness.sim.url}`);
    expect(info.text).toMatch(/Nodes: 3 \(3 Ready\)/);
  });

  it('reports an unreachable cluster clearly', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = `${harness.directory}/dead-kubeconfig`;
    writeFileSync(path, `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: dead}\nusers:\n- name: dead\n  user: {token: x}\ncurrent-context: dead\n`);
    const result = await harness.call('k8s_cluster_info', {}, harness.depsWith({ kubeconfigPath: path }));
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/unreachable \(ECONNREFUSED\)[\s\S]*Try:/);
  });

  it('top pods and nodes sort by usage', async () => {
    const pods = await call('k8s_top_pods', { label_selector: 'app=web', sort_by: 'memory' });
    expect(pods.text.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
    const memory = pods.text.split('\n').slice(1).map((line) => Number(/(\d+)Mi$/.exec(line)?.[1]));
    expect(memory.length).toBeGreaterThan(0);
    expect([...memory].sort((a, b) => b - a)).toEqual(memory);
    const nodes = await call('k8s_top_nodes', { sort_by: 'cpu', no_headers: true });
    expect(nodes.text.split('\n')).toHaveLength(3);
    expect(nodes.text).toMatch(/^sim-\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%$/m);
    const bad = await call('k8s_top_pods', { sort_by: 'disk' });
    expect(bad.text).toMatch(/Invalid arguments for k8s_top_pods: sort_by/);
  });
});
