import { absolutePath } from './container-filesystem.ts';
import type { ContainerHost, HttpRequest, HttpResponse } from './process-types.ts';

const nginxErrorPage = (status: number, text: string, version: string) =>
  `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;

function contentType(path: string): string {
  if (/\.html?$/.test(path)) return 'text/html';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.css')) return 'text/css';
  if (path.endsWith('.js')) return 'application/javascript';
  return 'text/plain';
}

/** A file below `root` for a URL path (`/` → index.html), or undefined. */
export function staticFile(host: ContainerHost, root: string, urlPath: string, index = ['index.html', 'index.htm']): { path: string; content: string } | 'directory' | undefined {
  const clean = decodeURIComponent(urlPath.split('?')[0]);
  const path = absolutePath(`${root}/${clean}`);
  const node = host.fs.stat(path);
  if (!node) return undefined;
  if (node.type === 'file') return { path, content: node.content };
  for (const name of index) {
    const candidate = host.fs.stat(`${path}/${name}`);
    if (candidate?.type === 'file') return { path: `${path}/${name}`, content: candidate.content };
  }
  return 'directory';
}

/** One `server { … }` of an nginx config, reduced to what kube-sim acts on. */
export interface NginxServer {
  ports: number[];
  root: string;
  locations: Array<{ exact: boolean; prefix: string; root?: string; returnStatus?: number; returnBody?: string; proxyPass?: string }>;
}

/** Reads `listen`, `root`, `location`, `return` and `proxy_pass` from nginx config text. */
export function parseNginxConfig(text: string): NginxServer[] {
  const servers: NginxServer[] = [];
  const withoutComments = text.replace(/#[^\n]*/g, '');
  const serverPattern = /server\s*\{/g;
  for (const match of withoutComments.matchAll(serverPattern)) {
    let depth = 1;
    let index = match.index! + match[0].length;
    const start = index;
    for (; index < withoutComments.length && depth > 0; index++) {
      if (withoutComments[index] === '{') depth++;
      else if (withoutComments[index] === '}') depth--;
    }
    const body = withoutComments.slice(start, index - 1);
    const topLevel = body.replace(/location[^{]*\{[^}]*\}/g, '');
    const ports = [...topLevel.matchAll(/listen\s+(?:[\d.]+:)?(\d+)[^;]*;/g)].map((listen) => Number(listen[1]));
    const root = /root\s+([^;\s]+)\s*;/.exec(topLevel)?.[1] ?? '/usr/share/nginx/html';
    const locations: NginxServer['locations'] = [];
    for (const location of body.matchAll(/location\s+(=\s*)?([^\s{]+)\s*\{([^}]*)\}/g)) {
      const block = location[3];
      const returned = /return\s+(\d{3})(?:\s+(?:'([^']*)'|"([^"]*)"|([^;]*)))?\s*;/.exec(block);
      locations.push({
        exact: Boolean(location[1]),
        prefix: location[2],
        root: /root\s+([^;\s]+)\s*;/.exec(block)?.[1],
        returnStatus: returned ? Number(returned[1]) : undefined,
        returnBody: returned ? (returned[2] ?? returned[3] ?? returned[4] ?? '').replace(/\\n/g, '\n') : undefined,
        proxyPass: /proxy_pass\s+([^;\s]+)\s*;/.exec(block)?.[1],
      });
    }
    servers.push({ ports: ports.length ? [...new Set(ports)] : [80], root, locations });
  }
  return servers;
}

/** The nginx configuration the container would load: /etc/nginx/conf.d/*.conf (or nginx.conf's own servers). */
export function nginxServers(host: ContainerHost): NginxServer[] {
  const servers: NginxServer[] = [];
  const main = host.fs.read('/etc/nginx/nginx.conf');
  if ('content' in main) servers.push(...parseNginxConfig(main.content));
  const listing = host.fs.list('/etc/nginx/conf.d');
  if ('names' in listing) {
    for (const name of listing.names.filter((file) => file.endsWith('.conf'))) {
      const file = host.fs.read(`/etc/nginx/conf.d/${name}`);
      if ('content' in file) servers.push(...parseNginxConfig(file.content));
    }
  }
  return servers;
}

function nginxTime(now: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
}

export function nginxErrorTime(now: Date): string {
  return now.toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
}

/**
 * nginx's request handling for one server block: exact and prefix locations, `return`, static files from
 * `root`, and `proxy_pass` through the simulated network. Each request is written to the access log.
 */
export function nginxHandler(host: ContainerHost, server: NginxServer, version: string, log: { access: (line: string) => void; error: (line: string) => void }) {
  return (request: HttpRequest): HttpResponse => {
    const path = request.path.split('?')[0];
    const location =
      server.locations.find((candidate) => candidate.exact && candidate.prefix === path) ??
      server.locations.filter((candidate) => !candidate.exact && path.startsWith(candidate.prefix)).sort((left, right) => right.prefix.length - left.prefix.length)[0];
    let response: HttpResponse;
    if (location?.returnStatus !== undefined) {
      response = { status: location.returnStatus, headers: { 'content-type': 'application/octet-stream' }, body: location.returnBody ?? '' };
    } else if (location?.proxyPass) {
      const match = /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(location.proxyPass);
      const target = match ? host.network.resolve(match[1]) : undefined;
      const connection = target?.ok ? host.network.connect(target.addresses[0], Number(match?.[2] ?? 80)) : undefined;
      if (connection && !('error' in connection) && connection.listener.http) {
        response = connection.listener.http({ ...request, remoteAddress: host.podIp });
      } else {
        const reason = connection && 'error' in connection && connection.error === 'timeout' ? '110: Connection timed out' : '111: Connection refused';
        log.error(`${nginxErrorTime(host.now())} [error] 29#29: *1 connect() failed (${reason}) while connecting to upstream, client: ${request.remoteAddress}, server: localhost, request: "${request.method} ${request.path} HTTP/1.1", upstream: "${location.proxyPass}${request.path}", host: "${request.host}"`);
        response = { status: connection && 'error' in connection && connection.error === 'timeout' ? 504 : 502, headers: { 'content-type': 'text/html' }, body: nginxErrorPage(502, 'Bad Gateway', version) };
      }
    } else {
      const root = location?.root ?? server.root;
      const file = staticFile(host, root, path);
      if (file && file !== 'directory') response = { status: 200, headers: { 'content-type': contentType(file.path), server: `nginx/${version}` }, body: request.method === 'HEAD' ? '' : file.content };
      else if (file === 'directory') {
        log.error(`${nginxErrorTime(host.now())} [error] 29#29: *1 directory index of "${absolutePath(`${root}/${path}`)}/" is forbidden, client: ${request.remoteAddress}, server: localhost, request: "${request.method} ${request.path} HTTP/1.1", host: "${request.host}"`);
        response = { status: 403, headers: { 'content-type': 'text/html', server: `nginx/${version}` }, body: nginxErrorPage(403, 'Forbidden', version) };
      } else {
        log.error(`${nginxErrorTime(host.now())} [error] 29#29: *1 open() "${absolutePath(`${root}/${path}`)}" failed (2: No such file or directory), client: ${request.remoteAddress}, server: localhost, request: "${request.method} ${request.path} HTTP/1.1", host: "${request.host}"`);
        response = { status: 404, headers: { 'content-type': 'text/html', server: `nginx/${version}` }, body: nginxErrorPage(404, 'Not Found', version) };
      }
    }
    log.access(`${request.remoteAddress} - - [${nginxTime(host.now())}] "${request.method} ${request.path} HTTP/1.1" ${response.status} ${Buffer.byteLength(response.body)} "-" "${request.headers['user-agent'] ?? '-'}" "-"`);
    return response;
  };
}

/** A plain static file server (busybox httpd, python -m http.server, Apache). */
export function staticHandler(host: ContainerHost, root: string, options: { listing?: boolean; notFound: (path: string) => HttpResponse; log?: (request: HttpRequest, status: number, size: number) => void }) {
  return (request: HttpRequest): HttpResponse => {
    const file = staticFile(host, root, request.path);
    let response: HttpResponse;
    if (file && file !== 'directory') response = { status: 200, headers: { 'content-type': contentType(file.path) }, body: file.content };
    else if (file === 'directory' && options.listing) {
      const listing = host.fs.list(absolutePath(`${root}/${request.path.split('?')[0]}`));
      const names = 'names' in listing ? listing.names.filter((name) => !name.startsWith('.')) : [];
      response = {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Directory listing for ${request.path}</title>\n</head>\n<body>\n<h1>Directory listing for ${request.path}</h1>\n<hr>\n<ul>\n${names.map((name) => `<li><a href="${name}">${name}</a></li>`).join('\n')}\n</ul>\n<hr>\n</body>\n</html>\n`,
      };
    } else response = options.notFound(request.path);
    options.log?.(request, response.status, Buffer.byteLength(response.body));
    return response;
  };
}

/** The in-house service's HTTP API: health endpoints, a status document, Prometheus metrics. */
export function appHandler(input: { name: string; version: string; healthy: () => boolean }) {
  return (request: HttpRequest): HttpResponse => {
    const path = request.path.split('?')[0];
    const json = (status: number, value: unknown): HttpResponse => ({ status, headers: { 'content-type': 'application/json' }, body: `${JSON.stringify(value)}\n` });
    switch (path) {
      case '/healthz':
      case '/health':
      case '/livez':
      case '/readyz':
      case '/ready':
      case '/api/v1/health':
      case '/health/ready':
        return input.healthy() ? json(200, { status: 'ok' }) : json(503, { status: 'unavailable' });
      case '/':
      case '/api/v1/status':
        return json(200, { service: input.name, version: input.version, status: 'ok' });
      case '/metrics':
        return { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' }, body: `# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\nhttp_requests_total{service="${input.name}"} 1027\n` };
      default:
        return json(404, { error: 'not found', path });
    }
  };
}
