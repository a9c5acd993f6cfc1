/**
 * The container model's shell and commands, run in container instances built from catalogue images:
 * what `sh -c`, `kubectl exec` and container commands print and exit with, per image userland.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createContainerInstance, type ContainerInstance } from '../src/kube-sim/containers/container-instance.ts';
import { computedSource } from '../src/kube-sim/containers/container-filesystem.ts';
import { createFileTree } from '../src/kube-sim/containers/file-tree.ts';
import { isPullFailure, resolveImage } from '../src/kube-sim/containers/image-catalogue.ts';
import { emptyInput, stringInput, type PodNetwork } from '../src/kube-sim/containers/process-types.ts';
import type { PodSandbox } from '../src/kube-sim/network/cluster-network.ts';
import { createTimers } from '../src/kube-sim/workloads/timers.ts';

const timers = createTimers((error) => {
  throw error;
});
afterAll(() => timers.clear());

const noNetwork: PodNetwork = {
  resolve: (name) => (name === 'web' ? { ok: true, name: 'web.default.svc.cluster.local', addresses: ['10.96.0.20'] } : { ok: false, name, addresses: [], error: 'NXDOMAIN' }),
  connect: (address, port) => ({ error: 'refused', address, port }),
  pingable: () => false,
};

function container(image: string, options: { env?: Array<[string, string]>; memoryLimit?: number; files?: Record<string, { content: string; mode: number }> } = {}): ContainerInstance {
  const resolved = resolveImage(image);
  if (isPullFailure(resolved)) throw new Error(resolved.message);
  const sandbox: PodSandbox = { uid: 'uid-1', namespace: 'default', name: 'demo', ip: '10.244.1.9', listeners: new Map() };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'demo', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'main', image }] } };
  const data = createFileTree();
  return createContainerInstance({
    id: 'c1',
    pod,
    spec: pod.spec.containers[0],
    image: resolved,
    env: options.env ?? [['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ['HOSTNAME', 'demo'], ['HOME', '/root']],
    mounts: [
      { name: 'config', mountPath: '/config', readOnly: true, source: computedSource(() => options.files ?? { 'app.conf': { content: 'port=8080\n', mode: 0o644 }, 'run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o644 } }) },
      { name: 'data', mountPath: '/data', readOnly: false, source: { get: data.get, list: data.list, tree: data } },
    ],
    sandbox,
    network: noNetwork,
    memoryLimit: options.memoryLimit ?? 2 ** 30,
    settings: () => ({ secondMs: 1, jobDurationMs: 10, logIntervalMs: 1000 }),
    timers,
    now: () => new Date('2025-01-14T10:00:00Z'),
    output: () => {},
    onOom: () => {},
  });
}

async function run(instance: ContainerInstance, script: string, stdin = ''): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const execution = instance.exec(['sh', '-c', script], { stdin: stdin ? stringInput(stdin) : emptyInput, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  const code = await execution.done;
  return { stdout, stderr, code };
}

describe('the container shell', () => {
  const busybox = container('busybox:1.36');
  const nginx = container('nginx:1.27');

  it.each([
    ['echo and variables', 'A=1; B="two words"; echo "$A $B" ${C:-default} ${#B}', '1 two words default 9\n', '', 0],
    ['&&, || and exit codes', 'false && echo no || echo yes; true; echo $?', 'yes\n0\n', '', 0],
    ['exit N', 'echo before; exit 3; echo after', 'before\n', '', 3],
    ['missing command (busybox ash)', 'nosuchcmd --flag', '', 'sh: nosuchcmd: not found\n', 127],
    ['redirects to files, append and cat', 'echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f; wc -l < /tmp/f', 'one\ntwo\n2\n', '', 0],
    ['stderr redirect', 'cat /nope 2>/dev/null; echo $?', '1\n', '', 0],
    ['2>&1 into a pipe', 'cat /nope 2>&1 | grep -c "No such"', '1\n', '', 0],
    ['pipes', 'printf "b\\na\\nc\\n" | sort | head -n 2', 'a\nb\n', '', 0],
    ['if, test and file checks', 'if [ -f /config/app.conf ]; then echo yes; else echo no; fi; [ -d /nope ] || echo missing', 'yes\nmissing\n', '', 0],
    ['for and while loops with arithmetic', 'for i in 1 2 3; do echo -n $i; done; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo " $i"', '123 3\n', '', 0],
    ['command substitution', 'echo "host=$(hostname) files=$(ls /config | wc -l)"', 'host=demo files=2\n', '', 0],
    ['read-only ConfigMap mount', 'echo x > /config/new', '', "sh: can't create /config/new: Read-only file system\n", 1],
    ['writable volume and ls', 'mkdir -p /data/a && touch /data/a/b && ls /data/a', 'b\n', '', 0],
    ['script without the execute bit', '/config/run.sh', '', 'sh: /config/run.sh: Permission denied\n', 126],
    ['script through sh', 'sh /config/run.sh', 'hi\n', '', 0],
    ['syntax error', 'if true; then echo', '', 'sh: syntax error: unexpected end of file (expecting "fi")\n', 2],
    ['nslookup of an unknown name', 'nslookup nosuch >/dev/null; echo $?', '1\n', '', 0],
    ['wget refused by the network', 'wget -qO- http://web', '', "wget: can't connect to remote host (10.96.0.20): Connection refused\n", 1],
    ['wget of an unknown host', 'wget -qO- http://nosuch/', '', "wget: bad address 'nosuch'\n", 1],
  ])('busybox: %s', async (_name, script, stdout, stderr, code) => {
    expect(await run(busybox, script)).toEqual({ stdout, stderr, code });
  });

  it.each([
    ['missing command (Debian dash)', 'nosuchcmd', '', 'sh: 1: nosuchcmd: not found\n', 127],
    ['dash echo interprets escapes', 'echo "a\\tb"', 'a\tb\n', '', 0],
    ['curl refused', 'curl -sS http://web', '', "curl: (7) Failed to connect to web port 80 after 2 ms: Couldn't connect to server\n", 7],
    ['curl unknown host', 'curl -s http://nosuch; echo $?', '6\n', '', 0],
    ['no wget in the nginx image', 'wget http://web', '', 'sh: 1: wget: not found\n', 127],
    ['coreutils messages', 'ls /nope', '', "ls: cannot access '/nope': No such file or directory\n", 2],
  ])('nginx (Debian): %s', async (_name, script, stdout, stderr, code) => {
    expect(await run(nginx, script)).toEqual({ stdout, stderr, code });
  });

  it('keeps writes in the writable layer until the container is replaced, and volumes beyond', async () => {
    await run(busybox, 'echo kept > /tmp/scratch; echo durable > /data/file');
    expect((await run(busybox, 'cat /tmp/scratch /data/file')).stdout).toBe('kept\ndurable\n');
    const fresh = container('busybox:1.36');
    expect((await run(fresh, 'cat /tmp/scratch')).stderr).toBe("cat: can't open '/tmp/scratch': No such file or directory\n");
  });

  it('reads stdin line by line in an interactive shell', async () => {
    let stdout = '';
    const execution = busybox.exec(['sh'], { stdin: stringInput('echo first\nfor i in 1 2\ndo echo $i\ndone\nexit 4\necho never\n'), stdout: (text) => (stdout += text), stderr: () => {} });
    expect(await execution.done).toBe(4);
    expect(stdout).toBe('first\n1\n2\n');
  });

  it('OOM-kills the container when a process holds more than the memory limit', async () => {
    const small = container('polinux/stress', { memoryLimit: 64 * 2 ** 20 });
    const result = await run(small, 'stress --vm 1 --vm-bytes 128M');
    expect(result.stdout).toBe('stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n');
    expect(result.code).toBe(137);
  });

  it('resolves images and tags against the catalogue like a registry', () => {
    expect(isPullFailure(resolveImage('nginx:1.27'))).toBe(false);
    expect(isPullFailure(resolveImage('registry.local/anything:any-tag'))).toBe(false);
    const typo = resolveImage('nginx:1.277');
    expect(isPullFailure(typo) && typo.message).toBe('rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.277": failed to resolve reference "docker.io/library/nginx:1.277": docker.io/library/nginx:1.277: not found');
    const unknown = resolveImage('ngnix:1.27');
    expect(isPullFailure(unknown) && unknown.message).toContain('pull access denied, repository does not exist or may require authorization');
    const host = resolveImage('invalid.registry/app:1.0');
    expect(isPullFailure(host) && host.message).toContain('dial tcp: lookup invalid.registry on 10.0.0.2:53: no such host');
  });
});
