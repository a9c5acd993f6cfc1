/**
 * The container model through the real kubectl: commands that crash, images the registry does not have,
 * OOM kills, ConfigMap/Secret volumes and env, emptyDir and claim-backed data, init containers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type KubectlHarness } from './support/kubectl-harness.ts';

const pod = (name: string, spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: ${name}}}\nspec:\n${spec}`;

describe('containers that do what their command says, through the real kubectl', () => {
  let harness: KubectlHarness;
  const json = async (...args: string[]) => JSON.parse(await harness.ok([...args, '-o', 'json']));
  const statusOf = async (name: string) => (await harness.ok(['get', 'pod', name, '--no-headers'])).trim().split(/\s+/)[2];
  const exec = (name: string, ...command: string[]) => harness.kubectl(['exec', name, '--', ...command]);
  const lastState = async (name: string) => (await waitFor(async () => (await json('get', 'pod', name)).status.containerStatuses?.[0]?.lastState?.terminated));

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness?.close());

  it('runs the command: a failing one crash-loops with back-off, its output in --previous and describe', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: [
        pod('reporter', '  containers:\n  - {name: main, image: "busybox:1.36", command: [sh, -c, "echo loading /etc/app/config.yaml; cat /etc/app/config.yaml; exit 3"]}\n'),
        pod('typo-cmd', '  containers:\n  - {name: main, image: "nginx:1.27", command: [nginx, -g, "daemon off"]}\n'),
        pod('no-binary', '  containers:\n  - {name: main, image: "nginx:1.27", command: [ngnix]}\n'),
        pod('idle', '  containers:\n  - {name: main, image: "busybox:1.36"}\n'),
      ].join('---\n'),
    });
    const terminated = await lastState('reporter');
    expect(terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    await waitFor(async () => (await statusOf('reporter')) === 'CrashLoopBackOff');
    expect(await harness.ok(['logs', 'reporter', '--previous'])).toBe("loading /etc/app/config.yaml\ncat: can't open '/etc/app/config.yaml': No such file or directory\n");
    const described = await harness.ok(['describe', 'pod', 'reporter']);
    expect(described).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+3/);
    expect(described).toMatch(/Warning\s+BackOff\s+.*Back-off restarting failed container main in pod reporter_default/);

    expect(await lastState('typo-cmd')).toMatchObject({ exitCode: 1, reason: 'Error' });
    await waitFor(async () => (await harness.kubectl(['logs', 'typo-cmd', '--previous'])).code === 0);
    expect(await harness.ok(['logs', 'typo-cmd', '--previous'])).toBe('nginx: [emerg] unexpected end of parameter, expecting ";" in command line\n');

    const startError = await lastState('no-binary');
    expect(startError).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(startError.message).toContain('exec: "ngnix": executable file not found in $PATH');
    expect(await harness.ok(['describe', 'pod', 'no-binary'])).toMatch(/Warning\s+Failed\s+.*Error: failed to create containerd task: .*exec: "ngnix": executable file not found in \$PATH: unknown/);

    // busybox runs `sh`, which exits at once without stdin: restarted forever, each time Completed.
    expect(await lastState('idle')).toMatchObject({ exitCode: 0, reason: 'Completed' });
    await waitFor(async () => (await statusOf('idle')) === 'CrashLoopBackOff');
  });

  it('pulls from the catalogue: a tag or repository the registry does not have fails like the registry answers', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: [pod('tag-typo', '  containers:\n  - {name: main, image: "nginx:1.277"}\n'), pod('repo-typo', '  containers:\n  - {name: main, image: "ngnix:1.27"}\n')].join('---\n'),
    });
    await waitFor(async () => (await statusOf('tag-typo')) === 'ImagePullBackOff');
    const described = await harness.ok(['describe', 'pod', 'tag-typo']);
    expect(described).toContain('Failed to pull image "nginx:1.277": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.277": failed to resolve reference "docker.io/library/nginx:1.277": docker.io/library/nginx:1.277: not found');
    expect(described).toMatch(/Normal\s+BackOff\s+.*Back-off pulling image "nginx:1.277"/);
    await waitFor(async () => (await harness.ok(['describe', 'pod', 'repo-typo'])).includes('pull access denied, repository does not exist or may require authorization'));
    // Fixing the image of the pod restarts the container from the catalogue.
    await harness.ok(['set', 'image', 'pod/tag-typo', 'main=nginx:1.27']);
    await waitFor(async () => (await statusOf('tag-typo')) === 'Running');
  });

  it('OOM-kills a container that holds more memory than its limit, with the node\'s SystemOOM event', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: pod('hog', '  containers:\n  - name: main\n    image: polinux/stress\n    command: [stress]\n    args: [--vm, "1", --vm-bytes, 150M, --vm-hang, "1"]\n    resources: {limits: {memory: 100Mi}}\n'),
    });
    expect(await lastState('hog')).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(await harness.ok(['describe', 'pod', 'hog'])).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137/);
    const node = (await json('get', 'pod', 'hog')).spec.nodeName;
    const events = await harness.ok(['get', 'events', '--field-selector', `involvedObject.kind=Node,involvedObject.name=${node}`]);
    expect(events).toMatch(new RegExp(`Warning\\s+SystemOOM\\s+node/${node}\\s+System OOM encountered, victim process: stress, pid: \\d+`));
    // Within a higher limit the same command keeps running. The witness is a twin under the old limit, started after
    // the roomy one is up: the same command allocates the same time after its start, so once the twin has been
    // OOM-killed, the roomy one has allocated too (no fixed pause).
    const stressPod = (name: string, limit: string) => pod(name, `  containers:\n  - name: main\n    image: polinux/stress\n    command: [stress]\n    args: [--vm, "1", --vm-bytes, 150M, --vm-hang, "1"]\n    resources: {limits: {memory: ${limit}}}\n`);
    await harness.ok(['apply', '-f', '-'], { input: stressPod('roomy', '256Mi') });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/roomy', '--timeout=20s']);
    await harness.ok(['apply', '-f', '-'], { input: stressPod('hog-twin', '100Mi') });
    expect(await lastState('hog-twin')).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect((await json('get', 'pod', 'roomy')).status.containerStatuses[0]).toMatchObject({ restartCount: 0, state: { running: expect.any(Object) } });
  });

  it('mounts ConfigMaps and Secrets as files (items, subPath, defaultMode) and fills env from them', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {LOG_LEVEL: debug, FEATURE_X: "on", "app.yaml": "port: 8080\\n", "nginx.conf": "server { listen 8080; }\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: hunter2, user: app}
---
${pod(
  'configured',
  `  containers:
  - name: main
    image: "busybox:1.36"
    command: [sh, -c, "echo level=$LOG_LEVEL user=$DB_USER pod=$POD_NAME ns=$POD_NAMESPACE ip=$POD_IP mem=$MEM_LIMIT_MI cfg_x=$CFG_FEATURE_X; sleep infinity"]
    resources: {limits: {memory: 64Mi, cpu: 500m}}
    env:
    - {name: LOG_LEVEL, valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}}
    - {name: DB_USER, valueFrom: {secretKeyRef: {name: db, key: user}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: GREETING, value: "hello $(POD_NAME)"}
    envFrom: [{configMapRef: {name: app-config}, prefix: CFG_}]
    volumeMounts:
    - {name: config, mountPath: /etc/app}
    - {name: config, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}
    - {name: secret, mountPath: /etc/secret, readOnly: true}
  volumes:
  - name: config
    configMap:
      name: app-config
      items: [{key: app.yaml, path: app.yaml}, {key: nginx.conf, path: nginx.conf}, {key: LOG_LEVEL, path: levels/log-level, mode: 0600}]
  - {name: secret, secret: {secretName: db, defaultMode: 0400}}
`,
)}`,
    });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/configured', '--timeout=20s']);
    const ip = (await json('get', 'pod', 'configured')).status.podIP;
    expect(await harness.ok(['logs', 'configured'])).toBe(`level=debug user=app pod=configured ns=default ip=${ip} mem=64 cfg_x=on\n`);
    const env = (await exec('configured', 'env')).stdout;
    expect(env).toContain('GREETING=hello configured\n');
    expect(env).toContain('CPU_LIMIT=1\n');
    expect(env).toContain('CFG_app.yaml=port: 8080\n');
    expect((await exec('configured', 'ls', '/etc/app')).stdout).toBe('app.yaml\nlevels\nnginx.conf\n');
    expect((await exec('configured', 'cat', '/etc/app/app.yaml', '/etc/app/levels/log-level')).stdout).toBe('port: 8080\ndebug');
    expect((await exec('configured', 'stat', '-c', '%a %n', '/etc/app/app.yaml', '/etc/app/levels/log-level', '/etc/secret/password')).stdout).toBe('644 /etc/app/app.yaml\n600 /etc/app/levels/log-level\n400 /etc/secret/password\n');
    expect((await exec('configured', 'cat', '/etc/secret/password')).stdout).toBe('hunter2');
    const readOnly = await exec('configured', 'sh', '-c', 'echo x > /etc/app/app.yaml');
    expect(readOnly).toMatchObject({ code: 1, stderr: expect.stringContaining("sh: can't create /etc/app/app.yaml: Read-only file system\n") });

    // A ConfigMap edit shows in the mounted directory; the subPath copy keeps what the container started with.
    await harness.ok(['patch', 'configmap', 'app-config', '--type=merge', '-p', '{"data":{"app.yaml":"port: 9090\\n","nginx.conf":"server { listen 9090; }\\n"}}']);
    expect((await exec('configured', 'cat', '/etc/app/app.yaml', '/etc/nginx/nginx.conf')).stdout).toBe('port: 9090\nserver { listen 8080; }\n');
  });

  it('waits for a missing ConfigMap (FailedMount) or Secret key (CreateContainerConfigError) and starts once it exists', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: [
        pod('needs-config', '  containers:\n  - {name: main, image: "nginx:1.27", volumeMounts: [{name: conf, mountPath: /etc/nginx/conf.d}]}\n  volumes:\n  - {name: conf, configMap: {name: web-conf}}\n'),
        pod('needs-key', '  containers:\n  - name: main\n    image: "busybox:1.36"\n    command: [sleep, infinity]\n    env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: db, key: token}}}]\n'),
      ].join('---\n'),
    });
    await waitFor(async () => /Warning\s+FailedMount\s+.*MountVolume.SetUp failed for volume "conf" : configmap "web-conf" not found/.test(await harness.ok(['describe', 'pod', 'needs-config'])));
    expect(await statusOf('needs-config')).toBe('ContainerCreating');
    expect((await json('get', 'pod', 'needs-config')).status.podIP).toBeUndefined();
    await waitFor(async () => (await statusOf('needs-key')) === 'CreateContainerConfigError');
    expect(await harness.ok(['describe', 'pod', 'needs-key'])).toMatch(/Warning\s+Failed\s+.*Error: couldn't find key token in Secret default\/db/);

    await harness.ok(['create', 'configmap', 'web-conf', '--from-literal=default.conf=server { listen 8081; location / { return 200 "configured\\n"; } }']);
    await harness.ok(['patch', 'secret', 'db', '--type=merge', '-p', '{"stringData":{"token":"t0k3n"}}']);
    await harness.ok(['wait', '--for=condition=Ready', 'pod/needs-config', 'pod/needs-key', '--timeout=20s']);
    expect((await exec('needs-key', 'printenv', 'TOKEN')).stdout).toBe('t0k3n\n');
    // nginx loaded the mounted server block: it listens on 8081 and answers from the config.
    await harness.ok(['apply', '-f', '-'], { input: pod('curler', '  containers:\n  - {name: main, image: "curlimages/curl:8.11.1", command: [sleep, infinity]}\n') });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/curler', '--timeout=20s']);
    const target = (await json('get', 'pod', 'needs-config')).status.podIP;
    expect((await exec('curler', 'curl', '-s', `http://${target}:8081/`)).stdout).toBe('configured\n');
    expect((await exec('curler', 'curl', '-sS', `http://${target}:80/`)).stderr).toContain(`curl: (7) Failed to connect to ${target} port 80`);
  });

  it('shares an emptyDir between containers and keeps claim data across pod deletion', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: reports}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
${pod(
  'writer',
  `  containers:
  - {name: producer, image: "busybox:1.36", command: [sh, -c, "echo report-1 > /shared/latest; date >> /data/runs; sleep infinity"], volumeMounts: [{name: shared, mountPath: /shared}, {name: data, mountPath: /data}]}
  - {name: consumer, image: "busybox:1.36", command: [sh, -c, "while [ ! -f /in/latest ]; do sleep 1; done; cat /in/latest; sleep infinity"], volumeMounts: [{name: shared, mountPath: /in}]}
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: data, persistentVolumeClaim: {claimName: reports}}
`,
)}`,
    });
    await waitFor(async () => (await harness.kubectl(['logs', 'writer', '-c', 'consumer'])).stdout === 'report-1\n');
    expect((await harness.kubectl(['exec', 'writer', '-c', 'producer', '--', 'sh', '-c', 'echo from-exec >> /data/notes; cat /data/runs | wc -l'])).stdout.trim()).toBe('1');
    await harness.ok(['delete', 'pod', 'writer']);
    await harness.ok(['apply', '-f', '-'], {
      input: pod('writer', '  containers:\n  - {name: producer, image: "busybox:1.36", command: [sh, -c, "date >> /data/runs; ls /shared; sleep infinity"], volumeMounts: [{name: shared, mountPath: /shared}, {name: data, mountPath: /data}]}\n  volumes:\n  - {name: shared, emptyDir: {}}\n  - {name: data, persistentVolumeClaim: {claimName: reports}}\n'),
    });
    await harness.ok(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=20s']);
    // The claim's data survived; the emptyDir went with the old pod.
    expect((await exec('writer', 'sh', '-c', 'wc -l < /data/runs; cat /data/notes; ls /shared | wc -l')).stdout).toBe('2\nfrom-exec\n0\n');
  });

  it('runs init containers first: Init:0/1 while one waits for a Service, then the app starts', async () => {
    await harness.ok(['apply', '-f', '-'], {
      input: pod(
        'waits-for-db',
        '  initContainers:\n  - {name: wait-db, image: "busybox:1.36", command: [sh, -c, "until nslookup db; do echo waiting for db; sleep 2; done"]}\n  containers:\n  - {name: main, image: "nginx:1.27"}\n',
      ),
    });
    await waitFor(async () => (await harness.kubectl(['logs', 'waits-for-db', '-c', 'wait-db'])).stdout.includes('waiting for db'));
    expect(await statusOf('waits-for-db')).toBe('Init:0/1');
    expect((await json('get', 'pod', 'waits-for-db')).status.conditions.find((condition: any) => condition.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    await harness.ok(['create', 'service', 'clusterip', 'db', '--tcp=5432:5432']);
    await harness.ok(['wait', '--for=condition=Ready', 'pod/waits-for-db', '--timeout=20s']);
    const status = (await json('get', 'pod', 'waits-for-db')).status;
    expect(status.initContainerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status.phase).toBe('Running');
  });
});
