import type { KubeObject } from '../cluster-types.ts';
import type { ContainerFault } from './fault-rules.ts';

/** What a simulated container prints: lines at start, one line per tick while running, lines before it dies. */
export interface LogScript {
  startup: string[];
  periodic(tick: number, now: Date): string | undefined;
  beforeExit: string[];
}

/** `registry/team/checkout-api:2.3.1` → `checkout-api`; `nginx@sha256:…` → `nginx`. */
export function imageBaseName(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.split('/').pop() ?? withoutDigest;
  return lastSegment.split(':')[0];
}

export function imageTag(image: string): string {
  const lastSegment = image.split('@')[0].split('/').pop() ?? image;
  return lastSegment.includes(':') ? lastSegment.split(':').pop()! : 'latest';
}

function appName(pod: KubeObject, container: any): string {
  const labels = pod.metadata.labels ?? {};
  return labels['app.kubernetes.io/name'] ?? labels.app ?? imageBaseName(String(container.image ?? container.name));
}

function envValue(container: any, name: string): string | undefined {
  return (container.env ?? []).find((variable: any) => variable.name === name)?.value;
}

function nginxTime(now: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
}

function nginxDate(now: Date): string {
  return now.toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
}

function nginxScript(now: Date): LogScript {
  const date = nginxDate(now);
  return {
    startup: [
      '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
      '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
      '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
      '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
      '/docker-entrypoint.sh: Configuration complete; ready for start up',
      `${date} [notice] 1#1: using the "epoll" event method`,
      `${date} [notice] 1#1: nginx/1.27.3`,
      `${date} [notice] 1#1: OS: Linux 6.1.0-28-amd64`,
      `${date} [notice] 1#1: start worker processes`,
      `${date} [notice] 1#1: start worker process 29`,
    ],
    periodic(tick, at) {
      const paths = ['/', '/healthz', '/index.html', '/static/app.js'];
      const path = paths[tick % paths.length];
      const bytes = path === '/healthz' ? 2 : 615;
      const agent = path === '/healthz' ? 'kube-probe/1.32' : 'Mozilla/5.0 (X11; Linux x86_64)';
      return `10.244.0.${1 + (tick % 9)} - - [${nginxTime(at)}] "GET ${path} HTTP/1.1" 200 ${bytes} "-" "${agent}" "-"`;
    },
    beforeExit: [],
  };
}

function json(now: Date, level: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time: now.toISOString(), msg: message, ...extra });
}

function maskUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:****@');
}

function connectionError(databaseUrl: string | undefined): string[] {
  let host = '10.0.0.12';
  let port = 5432;
  if (databaseUrl) {
    try {
      const parsed = new URL(databaseUrl);
      host = parsed.hostname || host;
      port = Number(parsed.port) || port;
    } catch {
      return [`Error: Invalid DATABASE_URL "${maskUrl(databaseUrl)}": TypeError [ERR_INVALID_URL]: Invalid URL`, '    at new URL (node:internal/url:816:29)', '    at loadConfig (/app/dist/config.js:14:21)'];
    }
  }
  const isAddress = /^\d+\.\d+\.\d+\.\d+$/.test(host);
  if (!isAddress) {
    return [
      `Error: getaddrinfo ENOTFOUND ${host}`,
      '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26) {',
      '  errno: -3008,',
      "  code: 'ENOTFOUND',",
      "  syscall: 'getaddrinfo',",
      `  hostname: '${host}'`,
      '}',
    ];
  }
  return [
    `Error: connect ECONNREFUSED ${host}:${port}`,
    '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {',
    '  errno: -111,',
    "  code: 'ECONNREFUSED',",
    "  syscall: 'connect',",
    `  address: '${host}',`,
    `  port: ${port}`,
    '}',
  ];
}

function appScript(pod: KubeObject, container: any, fault: ContainerFault | undefined, now: Date): LogScript {
  const name = appName(pod, container);
  const version = imageTag(String(container.image ?? ''));
  const port = container.ports?.[0]?.containerPort ?? 8080;
  const databaseUrl = envValue(container, 'DATABASE_URL');
  const startup = [`> ${name}@${version} start`, '> node dist/server.js', '', json(now, 'info', `Starting ${name} service`, { version, pid: 1 })];
  if (databaseUrl) startup.push(json(now, 'info', 'Connecting to database', { url: maskUrl(databaseUrl) }));
  let beforeExit: string[] = [];
  if (fault?.kind === 'crash') {
    beforeExit = fault.logs ?? [...connectionError(databaseUrl), '', 'Node.js v20.18.1'];
  } else if (fault?.kind === 'oom') {
    beforeExit = [128, 256, 384, 480].map((megabytes, index) => json(now, 'warn', 'cache warm-up in progress', { batch: index + 1, heapUsedMiB: megabytes }));
  } else {
    if (databaseUrl) startup.push(json(now, 'info', 'Database connection established', { pool: 10 }));
    startup.push(json(now, 'info', `Listening on :${port}`));
  }
  return {
    startup,
    periodic(tick, at) {
      if (fault?.kind === 'crash' || fault?.kind === 'oom') return undefined;
      const routes = ['GET /healthz', 'GET /api/v1/status', 'POST /api/v1/orders', 'GET /metrics'];
      const route = routes[tick % routes.length];
      const status = fault?.kind === 'unready' && route === 'GET /healthz' ? 503 : 200;
      return json(at, status === 200 ? 'info' : 'warn', 'request completed', { route, status, durationMs: 3 + ((tick * 7) % 40) });
    },
    beforeExit,
  };
}

export function logScriptFor(input: { pod: KubeObject; container: any; fault?: ContainerFault; now: Date }): LogScript {
  const base = imageBaseName(String(input.container.image ?? ''));
  if (base === 'nginx' || base.startsWith('nginx-')) {
    const script = nginxScript(input.now);
    if (input.fault?.kind === 'crash') script.beforeExit = input.fault.logs ?? [`${nginxDate(input.now)} [emerg] 1#1: host not found in upstream "backend:8080" in /etc/nginx/conf.d/default.conf:14`, 'nginx: [emerg] host not found in upstream "backend:8080" in /etc/nginx/conf.d/default.conf:14'];
    return script;
  }
  return appScript(input.pod, input.container, input.fault, input.now);
}
