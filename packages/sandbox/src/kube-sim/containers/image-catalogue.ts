import { createFileTree, type FileTree } from './file-tree.ts';
import { parseImageReference, type ImageReference } from './image-reference.ts';

/**
 * The images kube-sim knows, with what each contains, runs and serves. A pod whose image (or tag) is not
 * here fails to pull, as it would against the registry: that is how a tag typo shows up as ErrImagePull.
 * The table is documented in testkit/README.md ("Container model").
 */

/** Which base system an image is built on: decides /bin/sh, the tools on PATH and /etc/os-release. */
export type Userland = 'busybox' | 'alpine' | 'debian' | 'ubuntu' | 'oraclelinux' | 'distroless';

/** What the image's main program is; command implementations (nginx, postgres, …) dispatch on it. */
export type ImageKind = 'nginx' | 'httpd' | 'busybox' | 'alpine' | 'debian' | 'ubuntu' | 'python' | 'node' | 'mysql' | 'postgres' | 'redis' | 'curl' | 'stress' | 'http-echo' | 'envoy' | 'app';

export interface ImageDefinition {
  kind: ImageKind;
  /** full repository names (docker.io/library/nginx) this entry answers for */
  names: string[];
  /** every repository under this prefix exists (the in-house test registry) */
  prefix?: string;
  /** tags the registry has; `any` for the test registry */
  tags: RegExp | 'any';
  /** one line for the README table */
  summary: string;
  userland: Userland;
  /** executables on PATH besides the userland's own */
  binaries: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  user?: string;
  /** ENV baked into the image */
  env?: Record<string, string>;
  /** files of the image besides the userland's */
  files?: Record<string, string>;
  /** resident memory of the main program (MiB): a lower memory limit gets it OOMKilled at start */
  memoryMiB: number;
}

export interface ResolvedImage {
  reference: ImageReference;
  definition: ImageDefinition;
  /** the program version an image tag stands for, e.g. nginx:1.27 → 1.27.3 */
  version: string;
}

export type ImagePullFailure = { reference: ImageReference; message: string };

const busyboxApplets = [
  'sh', 'ash', 'cat', 'ls', 'echo', 'printf', 'env', 'printenv', 'hostname', 'date', 'uname', 'id', 'whoami', 'pwd', 'sleep', 'true', 'false', 'test', '[',
  'mkdir', 'rm', 'rmdir', 'touch', 'cp', 'mv', 'ln', 'chmod', 'head', 'tail', 'wc', 'grep', 'sort', 'uniq', 'cut', 'tr', 'tee', 'seq', 'base64', 'basename', 'dirname',
  'dd', 'stat', 'df', 'du', 'free', 'ps', 'kill', 'timeout', 'which', 'find', 'xargs', 'md5sum', 'sha256sum', 'wget', 'nslookup', 'nc', 'ping', 'httpd', 'uptime', 'nproc', 'yes',
];
const coreutils = [
  'sh', 'dash', 'bash', 'cat', 'ls', 'echo', 'printf', 'env', 'printenv', 'hostname', 'date', 'uname', 'id', 'whoami', 'pwd', 'sleep', 'true', 'false', 'test', '[',
  'mkdir', 'rm', 'rmdir', 'touch', 'cp', 'mv', 'ln', 'chmod', 'head', 'tail', 'wc', 'grep', 'sort', 'uniq', 'cut', 'tr', 'tee', 'seq', 'base64', 'basename', 'dirname',
  'dd', 'stat', 'df', 'du', 'kill', 'timeout', 'which', 'find', 'xargs', 'md5sum', 'sha256sum', 'nproc', 'yes', 'sed',
];

export const userlandBinaries: Record<Userland, string[]> = {
  busybox: busyboxApplets,
  alpine: busyboxApplets,
  debian: coreutils,
  ubuntu: coreutils,
  oraclelinux: coreutils.filter((name) => name !== 'dash'),
  distroless: [],
};

/** How `sh -c` reports a missing command, by userland: busybox ash, Debian's dash, or bash. */
export function shellFlavor(userland: Userland): 'ash' | 'dash' | 'bash' {
  if (userland === 'busybox' || userland === 'alpine') return 'ash';
  if (userland === 'oraclelinux') return 'bash';
  return 'dash';
}

const alpineRelease = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.21.2\nPRETTY_NAME="Alpine Linux v3.21"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n';
const debianRelease =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n';
const ubuntuRelease = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n';
const oracleRelease = 'NAME="Oracle Linux Server"\nVERSION="9.5"\nID="ol"\nVERSION_ID="9.5"\nPRETTY_NAME="Oracle Linux Server 9.5"\n';

/** Files every image of a userland has. */
export function userlandFiles(userland: Userland): Record<string, string> {
  const release = userland === 'alpine' || userland === 'busybox' ? alpineRelease : userland === 'ubuntu' ? ubuntuRelease : userland === 'oraclelinux' ? oracleRelease : debianRelease;
  const common: Record<string, string> = {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
    'tmp/.keep': '',
    'root/.keep': '',
    'home/.keep': '',
    'var/log/.keep': '',
    'proc/.keep': '',
    'dev/.keep': '',
    'mnt/.keep': '',
    'opt/.keep': '',
    'srv/.keep': '',
    'usr/local/bin/.keep': '',
  };
  if (userland === 'distroless') return { 'etc/passwd': common['etc/passwd'], 'tmp/.keep': '' };
  if (userland === 'busybox') return { ...common, 'bin/busybox': '', 'etc/os-release': release };
  return { ...common, 'etc/os-release': release, 'bin/sh': '', 'usr/bin/env': '' };
}

const nginxDefaultConf = `server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`;

export const nginxWelcomePage = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const nginxConf = `user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
`;

const patch = '(\\.\\d{1,2})?';
const definitions: ImageDefinition[] = [
  {
    kind: 'nginx',
    names: ['docker.io/library/nginx'],
    tags: new RegExp(`^(latest|stable|mainline|alpine|alpine-slim|bookworm|perl|stable-alpine|mainline-alpine|1\\.(1[89]|2[0-9])(\\.\\d)?(-(alpine|alpine-slim|alpine-perl|bookworm|perl))?)$`),
    summary: 'web server on :80; serves /usr/share/nginx/html (`/` → welcome page, unknown paths → 404); `listen` lines in /etc/nginx/conf.d/*.conf change the port; access log on stdout',
    userland: 'debian',
    binaries: ['nginx', 'curl', 'docker-entrypoint.sh'],
    entrypoint: ['/docker-entrypoint.sh'],
    cmd: ['nginx', '-g', 'daemon off;'],
    env: { NGINX_VERSION: '1.27.3', NJS_VERSION: '0.8.9', PKG_RELEASE: '1~bookworm' },
    files: {
      'etc/nginx/nginx.conf': nginxConf,
      'etc/nginx/conf.d/default.conf': nginxDefaultConf,
      'etc/nginx/mime.types': 'types {\n    text/html  html htm shtml;\n    text/css  css;\n    application/javascript  js;\n    application/json  json;\n}\n',
      'usr/share/nginx/html/index.html': nginxWelcomePage,
      'usr/share/nginx/html/50x.html': '<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n',
      'docker-entrypoint.sh': '#!/bin/sh\n',
      'docker-entrypoint.d/10-listen-on-ipv6-by-default.sh': '#!/bin/sh\n',
      'var/cache/nginx/.keep': '',
    },
    memoryMiB: 8,
  },
  {
    kind: 'httpd',
    names: ['docker.io/library/httpd'],
    tags: new RegExp(`^(latest|alpine|bookworm|2|2\\.4${patch}(-(alpine|bookworm))?)$`),
    summary: 'Apache on :80; serves /usr/local/apache2/htdocs (`/` → "It works!")',
    userland: 'debian',
    binaries: ['httpd-foreground', 'apachectl'],
    cmd: ['httpd-foreground'],
    workingDir: '/usr/local/apache2',
    files: { 'usr/local/apache2/htdocs/index.html': '<html><body><h1>It works!</h1></body></html>\n' },
    memoryMiB: 12,
  },
  {
    kind: 'busybox',
    names: ['docker.io/library/busybox'],
    tags: /^(latest|stable|musl|glibc|uclibc|1(\.3[0-7])?(\.\d)?(-(musl|glibc|uclibc))?)$/,
    summary: 'busybox applets (sh, wget, nslookup, nc, httpd, …); runs `sh`, which exits at once without stdin',
    userland: 'busybox',
    binaries: [],
    cmd: ['sh'],
    memoryMiB: 1,
  },
  {
    kind: 'alpine',
    names: ['docker.io/library/alpine'],
    tags: /^(latest|edge|3(\.(1[5-9]|2[0-2]))?(\.\d{1,2})?)$/,
    summary: 'Alpine userland (busybox applets); runs `/bin/sh`, which exits at once without stdin',
    userland: 'alpine',
    binaries: ['apk'],
    cmd: ['/bin/sh'],
    memoryMiB: 1,
  },
  {
    kind: 'debian',
    names: ['docker.io/library/debian'],
    tags: /^(latest|stable|stable-slim|bookworm|bookworm-slim|bullseye|bullseye-slim|trixie|trixie-slim|1[1-3](\.\d{1,2})?(-slim)?)$/,
    summary: 'Debian userland (dash, bash, coreutils; no curl, wget or ps); runs `bash`, which exits at once without stdin',
    userland: 'debian',
    binaries: ['apt-get'],
    cmd: ['bash'],
    memoryMiB: 2,
  },
  {
    kind: 'ubuntu',
    names: ['docker.io/library/ubuntu'],
    tags: /^(latest|rolling|devel|focal|jammy|noble|oracular|plucky|20\.04|22\.04|24\.04|24\.10|25\.04)$/,
    summary: 'Ubuntu userland (like debian); runs `/bin/bash`, which exits at once without stdin',
    userland: 'ubuntu',
    binaries: ['apt-get'],
    cmd: ['/bin/bash'],
    memoryMiB: 2,
  },
  {
    kind: 'python',
    names: ['docker.io/library/python'],
    tags: /^(latest|slim|alpine|bookworm|3(\.(8|9|1[0-4]))?(\.\d{1,2})?(-(slim|alpine|bookworm|slim-bookworm|bullseye|slim-bullseye|alpine3\.\d+))?)$/,
    summary: 'Python 3.12 on Debian (curl, GNU wget); runs `python3` (exits without stdin); `python -m http.server [port]` serves files on :8000',
    userland: 'debian',
    binaries: ['python', 'python3', 'pip', 'curl', 'wget'],
    cmd: ['python3'],
    env: { PYTHON_VERSION: '3.12.8', LANG: 'C.UTF-8' },
    memoryMiB: 10,
  },
  {
    kind: 'node',
    names: ['docker.io/library/node'],
    tags: /^(latest|lts|current|slim|alpine|lts-alpine|lts-slim|(1[68]|2[0-4])(\.\d{1,2}){0,2}(-(alpine|slim|bookworm|bookworm-slim|bullseye|alpine3\.\d+))?)$/,
    summary: 'Node.js 20 on Debian (curl, GNU wget); runs `node` (exits without stdin); `node file.js` fails if the file is missing',
    userland: 'debian',
    binaries: ['node', 'npm', 'npx', 'curl', 'wget', 'docker-entrypoint.sh'],
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['node'],
    env: { NODE_VERSION: '20.18.1', YARN_VERSION: '1.22.22' },
    memoryMiB: 40,
  },
  {
    kind: 'mysql',
    names: ['docker.io/library/mysql'],
    tags: /^(latest|lts|innovation|oracle|debian|5\.7(\.\d{1,2})?|8(\.0|\.4)?(\.\d{1,2})?(-(oracle|debian))?|9(\.\d)?(\.\d{1,2})?(-oracle)?)$/,
    summary: 'MySQL 8 on :3306; needs MYSQL_ROOT_PASSWORD (or MYSQL_ALLOW_EMPTY_PASSWORD / MYSQL_RANDOM_ROOT_PASSWORD); about 360 MiB resident; data in /var/lib/mysql',
    userland: 'oraclelinux',
    binaries: ['mysqld', 'mysql', 'mysqladmin', 'docker-entrypoint.sh'],
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['mysqld'],
    env: { MYSQL_MAJOR: '8.4', MYSQL_VERSION: '8.4.3-1.el9' },
    files: { 'var/lib/mysql/.keep': '' },
    memoryMiB: 360,
  },
  {
    kind: 'postgres',
    names: ['docker.io/library/postgres'],
    tags: /^(latest|alpine|bookworm|1[2-7](\.\d{1,2})?(-(alpine|bookworm|bullseye|alpine3\.\d+))?)$/,
    summary: 'PostgreSQL 16 on :5432; needs POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust); initialises PGDATA once, then "Skipping initialization"; `pg_isready`',
    userland: 'debian',
    binaries: ['postgres', 'psql', 'pg_isready', 'initdb', 'docker-entrypoint.sh', 'gosu'],
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['postgres'],
    env: { PG_MAJOR: '16', PG_VERSION: '16.6-1.pgdg120+1', PGDATA: '/var/lib/postgresql/data' },
    files: { 'var/lib/postgresql/data/.keep': '', 'var/run/postgresql/.keep': '' },
    memoryMiB: 30,
  },
  {
    kind: 'redis',
    names: ['docker.io/library/redis'],
    tags: /^(latest|alpine|bookworm|[678](\.\d)?(\.\d{1,2})?(-(alpine|bookworm))?)$/,
    summary: 'Redis 7 on :6379 (`redis-cli ping` → PONG); data in /data',
    userland: 'debian',
    binaries: ['redis-server', 'redis-cli', 'docker-entrypoint.sh'],
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['redis-server'],
    workingDir: '/data',
    env: { REDIS_VERSION: '7.4.1' },
    files: { 'data/.keep': '' },
    memoryMiB: 8,
  },
  {
    kind: 'curl',
    names: ['docker.io/curlimages/curl'],
    tags: /^(latest|8\.\d{1,2}\.\d)$/,
    summary: 'curl on Alpine (busybox applets too); arguments go to curl; no arguments → curl\'s usage error (exit 2)',
    userland: 'alpine',
    binaries: ['curl', 'entrypoint.sh'],
    entrypoint: ['/entrypoint.sh'],
    cmd: ['curl'],
    user: 'curl_user',
    workingDir: '/home/curl_user',
    memoryMiB: 2,
  },
  {
    kind: 'stress',
    names: ['docker.io/polinux/stress'],
    tags: /^(latest|1\.0\.4)$/,
    summary: '`stress --vm N --vm-bytes SIZE` holds that much memory (the Kubernetes docs\' OOM example)',
    userland: 'alpine',
    binaries: ['stress'],
    cmd: ['stress'],
    memoryMiB: 1,
  },
  {
    kind: 'http-echo',
    names: ['docker.io/hashicorp/http-echo'],
    tags: /^(latest|1\.0(\.0)?|0\.2\.3)$/,
    summary: 'answers every path with `-text` on `-listen` (default :5678); `/health` → {"status":"ok"}; no shell',
    userland: 'distroless',
    binaries: ['http-echo'],
    entrypoint: ['/http-echo'],
    memoryMiB: 4,
  },
  {
    kind: 'envoy',
    names: ['docker.io/envoyproxy/envoy', 'docker.io/library/envoy'],
    tags: /^(latest|dev|v?1\.(2[5-9]|3[0-4])(\.\d{1,2})?(-latest)?|distroless-v1\.\d+(\.\d+)?)$/,
    summary: 'proxy sidecar: admin on :9901 (`/ready` → LIVE); the proxied listeners are not simulated',
    userland: 'ubuntu',
    binaries: ['envoy'],
    cmd: ['envoy', '-c', '/etc/envoy/envoy.yaml'],
    memoryMiB: 30,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/payments'],
    tags: /^1\.(3\.\d|4\.[0-2]|5\.[01])$/,
    summary: 'the demo\'s in-house service (Node.js on Alpine): HTTP on :8080 (`/healthz`, `/readyz`, `/metrics`)',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    env: { PORT: '8080', NODE_ENV: 'production' },
    memoryMiB: 110,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/checkout'],
    tags: /^2\.(2\.\d|3\.[0-2])$/,
    summary: 'the demo\'s in-house service: HTTP on :3000',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    env: { PORT: '3000', NODE_ENV: 'production' },
    memoryMiB: 90,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/checkout-migrations'],
    tags: /^2\.(2\.\d|3\.[0-2])$/,
    summary: 'the demo\'s migration job: runs its migrations and exits 0',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/migrate.js'],
    workingDir: '/app',
    memoryMiB: 60,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/inventory'],
    tags: /^3\.(0\.\d|1\.[0-2])$/,
    summary: 'the demo\'s inventory service: HTTP on :8080',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    env: { PORT: '8080', NODE_ENV: 'production' },
    memoryMiB: 80,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/reports'],
    tags: /^3\.(0\.\d|1\.[0-2])$/,
    summary: 'the demo\'s reporting service: HTTP on :8080, data under /var/lib/reports',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    env: { PORT: '8080', NODE_ENV: 'production' },
    memoryMiB: 80,
  },
  {
    kind: 'app',
    names: ['registry.acme.io/frontend'],
    tags: /^2\.(6\.\d|7\.[0-3])$/,
    summary: 'the demo\'s web frontend: HTTP on :80 (2.8.0-rc1 was never pushed)',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    env: { PORT: '80', NODE_ENV: 'production' },
    memoryMiB: 70,
  },
  {
    kind: 'app',
    names: ['ghcr.io/skyflo-ai/skyflo'],
    tags: /^(latest|v?\d+\.\d+\.\d+(-[\w.]+)?)$/,
    summary: 'Skyflo itself (so the operator and the Helm chart can be tried on kube-sim): `serve` answers /api/v1/health on $PORT, `mcp` /health and /health/ready on its containerPort',
    userland: 'debian',
    binaries: ['node', 'skyflo', 'kubectl', 'helm'],
    entrypoint: ['skyflo'],
    cmd: ['serve'],
    workingDir: '/app',
    memoryMiB: 180,
  },
  {
    kind: 'app',
    names: [],
    prefix: 'registry.local/',
    tags: 'any',
    summary: 'the test registry: any name and tag is an in-house Node.js service listening on $PORT, else its first containerPort, else :8080; a Job\'s (restartPolicy Never/OnFailure) pod finishes after `jobDurationMs`',
    userland: 'alpine',
    binaries: ['node', 'npm'],
    cmd: ['node', 'dist/server.js'],
    workingDir: '/app',
    memoryMiB: 90,
  },
];

export const imageCatalogue: readonly ImageDefinition[] = definitions;

/** Registries that answer (anything else fails to resolve, like a typo in a registry host name). */
const knownRegistries = new Set(['docker.io', 'registry-1.docker.io', 'registry.k8s.io', 'quay.io', 'ghcr.io', 'gcr.io', 'public.ecr.aws', 'mcr.microsoft.com', 'registry.acme.io', 'registry.local']);

const programVersions: Partial<Record<ImageKind, (tag: string) => string>> = {
  nginx: (tag) => ({ '1.25': '1.25.5', '1.26': '1.26.2', '1.27': '1.27.3', '1.28': '1.28.0', '1.29': '1.29.0' } as Record<string, string>)[tag.split('-')[0]] ?? (/^\d+\.\d+\.\d+/.exec(tag)?.[0] ?? '1.27.3'),
  postgres: (tag) => (/^\d+(\.\d+)?/.exec(tag)?.[0] ?? '16.6').replace(/^(\d+)$/, '$1.6'),
  mysql: (tag) => (/^\d+\.\d+(\.\d+)?/.exec(tag)?.[0] ?? '8.4.3').replace(/^(\d+\.\d+)$/, '$1.3'),
  redis: (tag) => (/^\d+\.\d+(\.\d+)?/.exec(tag)?.[0] ?? '7.4.1').replace(/^(\d+\.\d+)$/, '$1.1'),
  busybox: (tag) => (/^\d+\.\d+(\.\d+)?/.exec(tag)?.[0] ?? '1.37.0').replace(/^(\d+\.\d+)$/, '$1.0'),
};

/** The catalogue entry for an image, or the registry's answer when it has no such image or tag. */
export function resolveImage(image: string): ResolvedImage | ImagePullFailure {
  const reference = parseImageReference(image);
  const { full, name, registry, repository, tag } = reference;
  if (!knownRegistries.has(registry)) {
    const path = reference.digest ? reference.digest : tag;
    return { reference, message: `failed to pull and unpack image "${full}": failed to resolve reference "${full}": failed to do request: Head "https://${registry}/v2/${repository}/manifests/${path}": dial tcp: lookup ${registry} on 10.0.0.2:53: no such host` };
  }
  const definition = definitions.find((candidate) => candidate.names.includes(name) || (candidate.prefix && `${name}/`.startsWith(candidate.prefix)));
  if (!definition) {
    if (registry === 'docker.io') {
      return { reference, message: `failed to pull and unpack image "${full}": failed to resolve reference "${full}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed` };
    }
    return { reference, message: `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found` };
  }
  if (!reference.digest && definition.tags !== 'any' && !definition.tags.test(tag)) {
    return { reference, message: `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found` };
  }
  const version = programVersions[definition.kind]?.(tag) ?? tag;
  return { reference, definition, version };
}

export function isPullFailure(result: ResolvedImage | ImagePullFailure): result is ImagePullFailure {
  return 'message' in result;
}

/** An image for a container the catalogue cannot place (an exec into a pod the kubelet never started). */
export function fallbackImage(image: string): ResolvedImage {
  const resolved = resolveImage(image);
  if (!isPullFailure(resolved)) return resolved;
  return { reference: resolved.reference, definition: definitions.find((candidate) => candidate.prefix === 'registry.local/')!, version: resolved.reference.tag };
}

const binariesByImage = new WeakMap<ImageDefinition, Set<string>>();
const filesByImage = new WeakMap<ImageDefinition, FileTree>();

/** Every executable on the image's PATH (one shared, read-only set per catalogue entry). */
export function imageBinaries(definition: ImageDefinition): Set<string> {
  let binaries = binariesByImage.get(definition);
  if (!binaries) binariesByImage.set(definition, (binaries = new Set([...userlandBinaries[definition.userland], ...definition.binaries])));
  return binaries;
}

/**
 * The image's files as a tree, built once per catalogue entry and shared by every container of the image
 * (never written to: containers write to their own layer), so starting a container copies nothing.
 */
export function imageFiles(definition: ImageDefinition): FileTree {
  let tree = filesByImage.get(definition);
  if (!tree) filesByImage.set(definition, (tree = createFileTree({ ...userlandFiles(definition.userland), ...(definition.files ?? {}) })));
  return tree;
}
