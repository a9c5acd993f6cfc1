import type { KubeObject } from '../cluster-types.ts';
import { imageBaseName } from './log-script.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecEnvironment {
  pod: KubeObject;
  container: any;
  now: Date;
}

/** Environment variables a process in the container sees: the pod spec's literal values plus the kubelet's. */
export function containerEnvironment(pod: KubeObject, container: any): Array<[string, string]> {
  const variables: Array<[string, string]> = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOSTNAME', pod.metadata.name ?? ''],
  ];
  for (const variable of container.env ?? []) {
    if (typeof variable.value === 'string') variables.push([variable.name, variable.value]);
    else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name') variables.push([variable.name, pod.metadata.name ?? '']);
    else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') variables.push([variable.name, pod.metadata.namespace ?? '']);
    else if (variable.valueFrom) variables.push([variable.name, '']);
    else variables.push([variable.name, '']);
  }
  variables.push(
    ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
    ['KUBERNETES_SERVICE_PORT', '443'],
    ['KUBERNETES_SERVICE_PORT_HTTPS', '443'],
    ['KUBERNETES_PORT', 'tcp://10.96.0.1:443'],
    ['KUBERNETES_PORT_443_TCP', 'tcp://10.96.0.1:443'],
    ['KUBERNETES_PORT_443_TCP_PROTO', 'tcp'],
    ['KUBERNETES_PORT_443_TCP_PORT', '443'],
    ['KUBERNETES_PORT_443_TCP_ADDR', '10.96.0.1'],
    ['HOME', '/root'],
  );
  return variables;
}

function isAlpine(container: any): boolean {
  const image = String(container.image ?? '');
  return /alpine|busybox/.test(image);
}

function osRelease(container: any): string {
  if (isAlpine(container)) {
    return 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.21.2\nPRETTY_NAME="Alpine Linux v3.21"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n';
  }
  return 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n';
}

function directories(container: any): Record<string, string[]> {
  const nginx = imageBaseName(String(container.image ?? '')).startsWith('nginx');
  return {
    '/': ['bin', 'boot', 'dev', ...(nginx ? ['docker-entrypoint.d', 'docker-entrypoint.sh'] : ['app']), 'etc', 'home', 'lib', 'media', 'mnt', 'opt', 'proc', 'root', 'run', 'sbin', 'srv', 'sys', 'tmp', 'usr', 'var'],
    '/app': ['dist', 'node_modules', 'package.json'],
    '/etc': ['hostname', 'hosts', 'nginx', 'os-release', 'passwd', 'resolv.conf'],
    '/tmp': [],
    '/usr/share/nginx/html': ['50x.html', 'index.html'],
    '/etc/nginx': ['conf.d', 'mime.types', 'nginx.conf'],
    '/var/run/secrets/kubernetes.io/serviceaccount': ['ca.crt', 'namespace', 'token'],
  };
}

function files(environment: ExecEnvironment): Record<string, string> {
  const { pod, container } = environment;
  const namespace = pod.metadata.namespace ?? 'default';
  return {
    '/etc/hostname': `${pod.metadata.name}\n`,
    '/etc/os-release': osRelease(container),
    '/etc/resolv.conf': `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
    '/etc/hosts': `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${pod.status?.podIP ?? '10.244.1.2'}\t${pod.metadata.name}\n`,
    '/var/run/secrets/kubernetes.io/serviceaccount/namespace': namespace,
  };
}

function formatDate(now: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const time = now.toISOString().slice(11, 19);
  return `${days[now.getUTCDay()]} ${months[now.getUTCMonth()]} ${String(now.getUTCDate()).padStart(2, ' ')} ${time} UTC ${now.getUTCFullYear()}`;
}

/** Splits a shell command line into words, honouring single and double quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (const character of line) {
    if (quote) {
      if (character === quote) quote = undefined;
      else current += character;
    } else if (character === '"' || character === "'") {
      quote = character;
      started = true;
    } else if (/\s/.test(character)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += character;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode: number): CommandResult => ({ stdout: '', stderr, exitCode });

function expandVariables(word: string, environment: Array<[string, string]>): string {
  return word.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_match, name: string) => environment.find(([key]) => key === name)?.[1] ?? '');
}

/** Runs a `sh -c` script: commands separated by `;` or `&&` (enough for what people type into exec). */
function runScript(script: string, environment: ExecEnvironment): CommandResult {
  const variables = containerEnvironment(environment.pod, environment.container);
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const part of script.split(/(&&|;)/)) {
    if (part === ';') continue;
    if (part === '&&') {
      if (exitCode !== 0) break;
      continue;
    }
    const words = shellWords(part).map((word) => expandVariables(word, variables));
    if (words.length === 0) continue;
    const result = runCommand(words, environment);
    stdout += result.stdout;
    stderr += result.stderr;
    exitCode = result.exitCode;
  }
  return { stdout, stderr, exitCode };
}

/**
 * A handful of commands people run through `kubectl exec`. Anything else behaves like a missing binary:
 * exit code 127 and `sh: <cmd>: not found` on stderr.
 */
export function runCommand(argv: string[], environment: ExecEnvironment): CommandResult {
  const [rawCommand, ...args] = argv;
  const command = rawCommand?.split('/').pop() ?? '';
  const { pod, container, now } = environment;
  switch (command) {
    case 'sh':
    case 'bash':
    case 'ash':
      if (args[0] === '-c') return runScript(args.slice(1).join(' '), environment);
      return ok('');
    case 'env':
      if (args.length > 0) return runCommand(args, environment);
      return ok(containerEnvironment(pod, container).map(([key, value]) => `${key}=${value}\n`).join(''));
    case 'printenv': {
      const variables = containerEnvironment(pod, container);
      if (args.length === 0) return ok(variables.map(([key, value]) => `${key}=${value}\n`).join(''));
      const found = args.map((name) => variables.find(([key]) => key === name)).filter((entry): entry is [string, string] => Boolean(entry));
      return { stdout: found.map(([, value]) => `${value}\n`).join(''), stderr: '', exitCode: found.length === args.length ? 0 : 1 };
    }
    case 'hostname':
      return ok(`${pod.metadata.name}\n`);
    case 'whoami':
      return ok('root\n');
    case 'id':
      return ok('uid=0(root) gid=0(root) groups=0(root)\n');
    case 'pwd':
      return ok('/\n');
    case 'true':
      return ok('');
    case 'false':
      return fail('', 1);
    case 'exit':
      return fail('', Number(args[0] ?? 0) || 0);
    case 'echo':
      return ok(`${args.join(' ')}\n`);
    case 'date':
      return ok(`${formatDate(now)}\n`);
    case 'uname':
      return ok(args.includes('-a') ? `Linux ${pod.metadata.name} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64 GNU/Linux\n` : 'Linux\n');
    case 'cat': {
      const known = files(environment);
      let stdout = '';
      let stderr = '';
      for (const file of args) {
        if (file in known) stdout += known[file];
        else stderr += `cat: ${file}: No such file or directory\n`;
      }
      return { stdout, stderr, exitCode: stderr ? 1 : 0 };
    }
    case 'ls': {
      const target = (args.find((arg) => !arg.startsWith('-')) ?? '/').replace(/(.)\/$/, '$1');
      const listing = directories(container)[target];
      if (!listing) return fail(`ls: cannot access '${target}': No such file or directory\n`, 2);
      return ok(listing.map((entry) => `${entry}\n`).join(''));
    }
    case 'ps': {
      const main = imageBaseName(String(container.image ?? '')).startsWith('nginx') ? 'nginx: master process nginx -g daemon off;' : [...(container.command ?? ['node']), ...(container.args ?? ['dist/server.js'])].join(' ');
      return ok(`PID   USER     TIME  COMMAND\n    1 root      0:02 ${main}\n   42 root      0:00 ps ${args.join(' ')}`.trimEnd() + '\n');
    }
    case 'sleep':
      return ok('');
    case 'nslookup': {
      const name = args[0] ?? '';
      const fqdn = name.includes('.') ? name : `${name}.${pod.metadata.namespace ?? 'default'}.svc.cluster.local`;
      return ok(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\t${fqdn}\nAddress: 10.96.${(fqdn.length * 7) % 255}.${(fqdn.length * 13) % 255}\n`);
    }
    default:
      return fail(`sh: ${rawCommand ?? ''}: not found\n`, 127);
  }
}
