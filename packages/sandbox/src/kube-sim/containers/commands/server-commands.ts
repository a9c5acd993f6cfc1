import { imageTag, logScriptFor } from '../../runtime/log-script.ts';
import { absolutePath } from '../container-filesystem.ts';
import { appHandler, nginxErrorTime, nginxHandler, nginxServers, staticHandler } from '../http-servers.ts';
import type { CommandImplementation, ProcessContext } from '../process-types.ts';
import { isBusybox, parseDuration, parseOptions, parseSize, resolvePath } from './command-helpers.ts';

const mebibyte = 2 ** 20;

/** Holds the image's resident memory; a limit below it OOMKills the container right at start. */
function residentMemory(context: ProcessContext, program: string): void {
  context.host.allocate(context.host.image.definition.memoryMiB * mebibyte, program);
}

/** Lets an image's entrypoint hand over to its arguments (`exec "$@"`). */
function execArgs(context: ProcessContext, argv: string[]): Promise<number> {
  return context.spawn(argv);
}

const nginxEntrypointLines = [
  '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
  '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
  '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
  '/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
  '/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
  '/docker-entrypoint.sh: Configuration complete; ready for start up',
];

const postgresMissingPassword = `Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
`;

const mysqlMissingPassword = (now: Date) => `${now.toISOString().replace('T', ' ').slice(0, 19)}+00:00 [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD
`;

function postgresTime(now: Date): string {
  return `${now.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** The official images' docker-entrypoint.sh, per image: first-run checks, initialisation, then `exec "$@"`. */
const dockerEntrypoint: CommandImplementation = async (context) => {
  const { host, env } = context;
  const kind = host.image.definition.kind;
  const args = context.args;
  if (kind === 'nginx') {
    if (args[0] === 'nginx' || args[0] === 'nginx-debug') context.stdout(nginxEntrypointLines.map((line) => `${line}\n`).join(''));
    return args.length ? execArgs(context, args) : 0;
  }
  if (kind === 'postgres') {
    const command = args[0]?.startsWith('-') ? ['postgres', ...args] : args;
    if (command[0] !== 'postgres') return command.length ? execArgs(context, command) : 0;
    const dataDirectory = env.get('PGDATA') ?? '/var/lib/postgresql/data';
    const initialized = host.fs.stat(`${dataDirectory}/PG_VERSION`);
    const now = host.now();
    if (initialized) {
      context.stdout('\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n');
    } else {
      if (!env.get('POSTGRES_PASSWORD') && env.get('POSTGRES_HOST_AUTH_METHOD') !== 'trust') {
        context.stderr(postgresMissingPassword);
        return 1;
      }
      const major = host.image.version.split('.')[0];
      const error = host.fs.write(`${dataDirectory}/PG_VERSION`, `${major}\n`);
      if (error) {
        context.stderr(`initdb: error: could not create directory "${dataDirectory}": Read-only file system\n`);
        return 1;
      }
      host.fs.write(`${dataDirectory}/postgresql.conf`, "listen_addresses = '*'\n");
      host.fs.mkdir(`${dataDirectory}/base`, { parents: true });
      context.stdout(
        [
          'The files belonging to this database system will be owned by user "postgres".',
          'This user must also own the server process.',
          '',
          'The database cluster will be initialized with locale "en_US.utf8".',
          'The default database encoding has accordingly been set to "UTF8".',
          '',
          `fixing permissions on existing directory ${dataDirectory} ... ok`,
          'creating subdirectories ... ok',
          'performing post-bootstrap initialization ... ok',
          'syncing data to disk ... ok',
          '',
          'Success. You can now start the database server using:',
          '',
          `    pg_ctl -D ${dataDirectory} -l logfile start`,
          '',
          `${postgresTime(now)} [48] LOG:  database system is ready to accept connections`,
          ' done',
          'server started',
          `CREATE DATABASE${env.get('POSTGRES_DB') ? '' : ''}`,
          '',
          'PostgreSQL init process complete; ready for start up.',
          '',
        ].join('\n') + '\n',
      );
    }
    return execArgs(context, command);
  }
  if (kind === 'mysql') {
    const command = args[0]?.startsWith('-') ? ['mysqld', ...args] : args;
    if (command[0] !== 'mysqld') return command.length ? execArgs(context, command) : 0;
    const now = host.now();
    const stamp = `${now.toISOString().replace('T', ' ').slice(0, 19)}+00:00`;
    context.stdout(`${stamp} [Note] [Entrypoint]: Entrypoint script for MySQL Server ${host.image.version}-1.el9 started.\n`);
    const initialized = host.fs.stat('/var/lib/mysql/ibdata1');
    if (!initialized) {
      if (!env.get('MYSQL_ROOT_PASSWORD') && !env.get('MYSQL_ALLOW_EMPTY_PASSWORD') && !env.get('MYSQL_RANDOM_ROOT_PASSWORD')) {
        context.stderr(mysqlMissingPassword(now));
        return 1;
      }
      context.stdout(`${stamp} [Note] [Entrypoint]: Initializing database files\n${stamp} [Note] [Entrypoint]: Database files initialized\n${stamp} [Note] [Entrypoint]: MySQL init process done. Ready for start up.\n`);
      host.fs.write('/var/lib/mysql/ibdata1', 'InnoDB system tablespace\n');
    }
    return execArgs(context, command);
  }
  if (kind === 'node' || kind === 'redis') {
    const program = kind === 'node' ? 'node' : 'redis-server';
    if (args.length === 0 || args[0].startsWith('-') || (!host.binaries.has(args[0]) && !args[0].includes('/'))) return execArgs(context, [program, ...args]);
    return execArgs(context, args);
  }
  return args.length ? execArgs(context, args) : 0;
};

/** curlimages/curl's /entrypoint.sh: arguments that are not a command go to curl. */
const curlEntrypoint: CommandImplementation = async (context) => {
  const [first] = context.args;
  if (first === undefined || first.startsWith('-') || (!context.host.binaries.has(first) && !first.includes('/'))) return context.spawn(['curl', ...context.args]);
  return context.spawn(context.args);
};

const nginx: CommandImplementation = async (context) => {
  const { host } = context;
  const version = host.image.version;
  if (context.args.includes('-v') || context.args.includes('-V')) {
    context.stderr(`nginx version: nginx/${version}\n`);
    return 0;
  }
  const date = nginxErrorTime(host.now());
  const globalIndex = context.args.indexOf('-g');
  if (globalIndex >= 0) {
    const directives = (context.args[globalIndex + 1] ?? '').trim();
    if (!directives.endsWith(';')) {
      context.stderr(`nginx: [emerg] unexpected end of parameter, expecting ";" in command line\n`);
      return 1;
    }
    const daemon = /(?:^|;)\s*daemon\s+(\S+?);/.exec(directives);
    if (daemon && daemon[1] !== 'on' && daemon[1] !== 'off') {
      context.stderr(`nginx: [emerg] invalid value "${daemon[1]}" in "daemon" directive, it must be "on" or "off" in command line\n`);
      return 1;
    }
  }
  const servers = nginxServers(host);
  // nginx resolves proxy_pass hosts when it loads its configuration: an unknown one stops it.
  for (const server of servers) {
    for (const location of server.locations) {
      const upstream = location.proxyPass ? /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(location.proxyPass) : undefined;
      if (upstream && !host.network.resolve(upstream[1]).ok) {
        const target = `${upstream[1]}${upstream[2] ? `:${upstream[2]}` : ''}`;
        context.stderr(`${date} [emerg] 1#1: host not found in upstream "${target}" in /etc/nginx/conf.d/default.conf:14\nnginx: [emerg] host not found in upstream "${target}" in /etc/nginx/conf.d/default.conf:14\n`);
        return 1;
      }
    }
  }
  if (context.args.includes('-t')) {
    context.stderr('nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n');
    return 0;
  }
  residentMemory(context, 'nginx');
  const log = { access: (line: string) => context.stdout(`${line}\n`), error: (line: string) => context.stderr(`${line}\n`) };
  for (const server of servers) {
    for (const port of server.ports) {
      const error = host.listen({ port, protocol: 'TCP', program: 'nginx', http: nginxHandler(host, server, version, log) });
      if (error) {
        context.stderr(`${date} [emerg] 1#1: bind() to 0.0.0.0:${port} failed (98: ${error})\nnginx: [emerg] bind() to 0.0.0.0:${port} failed (98: ${error})\n`);
        return 1;
      }
    }
  }
  context.stderr(
    [`using the "epoll" event method`, `nginx/${version}`, 'built by gcc 12.2.0 (Debian 12.2.0-14)', 'OS: Linux 6.1.0-28-amd64', 'getrlimit(RLIMIT_NOFILE): 1048576:1048576', 'start worker processes', 'start worker process 29']
      .map((line) => `${date} [notice] 1#1: ${line}\n`)
      .join(''),
  );
  const configured = 'content' in (host.fs.read('/etc/nginx/nginx.conf') as { content?: string }) ? (host.fs.read('/etc/nginx/nginx.conf') as { content: string }).content : '';
  if (!/daemon\s+off\s*;/.test(`${context.args.join(' ')}\n${configured}`)) {
    // Without `daemon off;` the master forks into the background and the process the runtime watches exits.
    return 0;
  }
  if (!host.spec?.command && !host.spec?.args) {
    const script = logScriptFor({ pod: host.pod, container: host.spec, now: host.now() });
    host.periodicLog((tick, now) => script.periodic(tick, now));
  }
  return host.waitUntilKilled();
};

/** busybox httpd: `-f` keeps it in the foreground; without it the shell (and the container) ends. */
const busyboxHttpd: CommandImplementation = async (context) => {
  const { flags, values } = parseOptions(context.args, ['p', 'h', 'c', 'u', 'r']);
  const port = Number((values.get('p') ?? '80').split(':').pop());
  const root = resolvePath(context, values.get('h') ?? '.');
  const error = context.host.listen({
    port,
    protocol: 'TCP',
    program: 'httpd',
    http: staticHandler(context.host, root, { notFound: () => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n' }) }),
  });
  if (error) {
    context.stderr(`httpd: bind: ${error}\n`);
    return 1;
  }
  if (!flags.has('f')) {
    // Daemonized: the server keeps running in the background only while something else holds the container.
    return 0;
  }
  return context.host.waitUntilKilled();
};

const apache: CommandImplementation = async (context) => {
  const { host } = context;
  residentMemory(context, 'httpd');
  const error = host.listen({
    port: 80,
    protocol: 'TCP',
    program: 'httpd',
    http: staticHandler(host, '/usr/local/apache2/htdocs', {
      notFound: () => ({ status: 404, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n' }),
      log: (request, status, size) => context.stdout(`${request.remoteAddress} - - [${host.now().toUTCString()}] "${request.method} ${request.path} HTTP/1.1" ${status} ${size}\n`),
    }),
  });
  if (error) return 1;
  context.stderr(`AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using ${host.podIp}. Set the 'ServerName' directive globally to suppress this message\n[${host.now().toUTCString()}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.62 (Unix) configured -- resuming normal operations\n`);
  return host.waitUntilKilled();
};

/** What a REPL does without a terminal: reads stdin until it ends, then exits 0. */
async function repl(context: ProcessContext): Promise<number> {
  while ((await context.stdin.readLine()) !== undefined) {
    // input is consumed; evaluating it is not simulated
  }
  return 0;
}

/** `python -c`: print(), time.sleep(), sys.exit() and raise, one statement per line or `;`. */
async function miniPython(context: ProcessContext, code: string): Promise<number> {
  for (const statement of code.split(/[;\n]/).map((item) => item.trim()).filter(Boolean)) {
    if (/^(import|from)\s/.test(statement)) continue;
    const print = /^print\((?:'([^']*)'|"([^"]*)"|(\d+))\)$/.exec(statement);
    if (print) {
      context.stdout(`${print[1] ?? print[2] ?? print[3]}\n`);
      continue;
    }
    const sleep = /^time\.sleep\(([\d.]+)\)$/.exec(statement);
    if (sleep) {
      await context.host.sleep(Number(sleep[1]));
      continue;
    }
    const exit = /^(?:sys\.)?exit\((\d*)\)$/.exec(statement);
    if (exit) return Number(exit[1] || 0);
    const bytes = /bytearray\((\d+)\s*\*\s*(\d+)\s*\*\s*(\d+)\)/.exec(statement);
    if (bytes) {
      context.host.allocate(Number(bytes[1]) * Number(bytes[2]) * Number(bytes[3]), 'python3');
      continue;
    }
    const raised = /^raise\s+(\w+)\((?:'([^']*)'|"([^"]*)")?\)$/.exec(statement);
    if (raised) {
      context.stderr(`Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n${raised[1]}: ${raised[2] ?? raised[3] ?? ''}\n`);
      return 1;
    }
    context.stderr(`kube-sim: python -c statement not simulated: ${statement}\n`);
  }
  return 0;
}

const python: CommandImplementation = async (context) => {
  const { host, args } = context;
  if (args[0] === '--version' || args[0] === '-V') {
    context.stdout('Python 3.12.8\n');
    return 0;
  }
  const unbuffered = args.filter((arg) => arg !== '-u');
  if (unbuffered[0] === '-m' && unbuffered[1] === 'http.server') {
    const { values, operands } = parseOptions(unbuffered.slice(2), ['b', 'd', '--bind', '--directory']);
    const port = Number(operands[0] ?? 8000);
    const root = resolvePath(context, values.get('d') ?? values.get('--directory') ?? '.');
    residentMemory(context, 'python3');
    const error = host.listen({
      port,
      protocol: 'TCP',
      program: 'python3',
      http: staticHandler(host, root, {
        listing: true,
        notFound: () => ({ status: 404, headers: { 'content-type': 'text/html;charset=utf-8' }, body: '<!DOCTYPE HTML>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 404</p>\n        <p>Message: File not found.</p>\n    </body>\n</html>\n' }),
        log: (request, status) => context.stderr(`${request.remoteAddress} - - [${host.now().toUTCString().slice(5, 25)}] "${request.method} ${request.path} HTTP/1.1" ${status} -\n`),
      }),
    });
    if (error) {
      context.stderr(`OSError: [Errno 98] ${error}\n`);
      return 1;
    }
    context.stdout(`Serving HTTP on 0.0.0.0 port ${port} (http://0.0.0.0:${port}/) ...\n`);
    return host.waitUntilKilled();
  }
  if (unbuffered[0] === '-c') return miniPython(context, unbuffered[1] ?? '');
  if (unbuffered[0] === '-m') {
    context.stderr(`/usr/local/bin/python3: No module named ${unbuffered[1]}\n`);
    return 1;
  }
  if (unbuffered.length === 0 || unbuffered[0] === '-') return repl(context);
  const script = absolutePath(unbuffered[0], context.cwd);
  if (!host.fs.stat(script)) {
    context.stderr(`${context.command.split('/').pop()}: can't open file '${script}': [Errno 2] No such file or directory\n`);
    return 2;
  }
  // A script on disk runs, but its Python is not interpreted: it stays up without output.
  residentMemory(context, 'python3');
  return host.waitUntilKilled();
};

function nodeModuleMissing(path: string): string {
  return `node:internal/modules/cjs/loader:1228
  throw err;
  ^

Error: Cannot find module '${path}'
    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)
    at Module._load (node:internal/modules/cjs/loader:1051:27)
    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:174:12)
    at node:internal/main/run_main_module:28:49 {
  code: 'MODULE_NOT_FOUND',
  requireStack: []
}

Node.js v20.18.1
`;
}

/** The in-house service (`node dist/server.js` in app images): connects to DATABASE_URL, then serves. */
async function appServer(context: ProcessContext): Promise<number> {
  const { host } = context;
  const container = { ...host.spec, env: [...context.env].map(([name, value]) => ({ name, value })) };
  const script = logScriptFor({ pod: host.pod, container, now: host.now() });
  const [first, ...rest] = script.startup;
  const name = host.pod.metadata.labels?.['app.kubernetes.io/name'] ?? host.pod.metadata.labels?.app ?? host.image.reference.repository.split('/').pop()!;
  const version = imageTag(host.image.reference.image);
  residentMemory(context, 'node');
  const databaseUrl = context.env.get('DATABASE_URL');
  const startup = databaseUrl ? [first, ...rest.filter((line) => !line.includes('Database connection established') && !line.includes('Listening on'))] : script.startup.filter((line) => !line.includes('Listening on'));
  context.stdout(startup.map((line) => `${line}\n`).join(''));
  if (databaseUrl) {
    // Like a connection pool at start-up: a few attempts a second apart, then give up and crash.
    let failure = await connectDatabase(context, databaseUrl);
    for (let attempt = 1; failure && attempt < 3; attempt++) {
      context.stdout(`${JSON.stringify({ level: 'warn', time: host.now().toISOString(), msg: 'database not reachable, retrying', attempt })}\n`);
      await host.sleep(1);
      failure = await connectDatabase(context, databaseUrl);
    }
    if (failure) {
      context.stderr(failure.map((line) => `${line}\n`).join(''));
      return 1;
    }
    context.stdout(`${JSON.stringify({ level: 'info', time: host.now().toISOString(), msg: 'Database connection established', pool: 10 })}\n`);
  }
  if (host.restartPolicy !== 'Always') {
    await host.sleepMs(host.jobDurationMs);
    context.stdout(`${JSON.stringify({ level: 'info', time: host.now().toISOString(), msg: 'done' })}\n`);
    return 0;
  }
  const port = Number(context.env.get('PORT') ?? host.spec?.ports?.[0]?.containerPort ?? 8080);
  const error = host.listen({ port, protocol: 'TCP', program: 'node', http: appHandler({ name, version, healthy: () => true }) });
  if (error) {
    context.stderr(`Error: listen EADDRINUSE: address already in use :::${port}\n`);
    return 1;
  }
  context.stdout(`${JSON.stringify({ level: 'info', time: host.now().toISOString(), msg: `Listening on :${port}` })}\n`);
  host.periodicLog((tick, now) => script.periodic(tick, now));
  return host.waitUntilKilled();
}

/** Resolves and connects to a database URL the way the app's driver would; the crash output on failure. */
async function connectDatabase(context: ProcessContext, databaseUrl: string): Promise<string[] | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    return [`Error: Invalid DATABASE_URL: TypeError [ERR_INVALID_URL]: Invalid URL`, '    at new URL (node:internal/url:816:29)', '    at loadConfig (/app/dist/config.js:14:21)', '', 'Node.js v20.18.1'];
  }
  const host = parsed.hostname;
  const port = Number(parsed.port) || (parsed.protocol.startsWith('mysql') ? 3306 : parsed.protocol.startsWith('redis') ? 6379 : 5432);
  const resolution = context.host.network.resolve(host);
  if (!resolution.ok) {
    if (resolution.error === 'TIMEOUT') await context.host.sleep(10);
    return [`Error: getaddrinfo ${resolution.error === 'TIMEOUT' ? 'EAI_AGAIN' : 'ENOTFOUND'} ${host}`, '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26) {', `  errno: ${resolution.error === 'TIMEOUT' ? -3001 : -3008},`, `  code: '${resolution.error === 'TIMEOUT' ? 'EAI_AGAIN' : 'ENOTFOUND'}',`, "  syscall: 'getaddrinfo',", `  hostname: '${host}'`, '}', '', 'Node.js v20.18.1'];
  }
  const address = resolution.addresses[0];
  const result = context.host.network.connect(address, port);
  if ('error' in result) {
    if (result.error === 'timeout') await context.host.sleep(30);
    const code = result.error === 'timeout' ? 'ETIMEDOUT' : 'ECONNREFUSED';
    return [`Error: connect ${code} ${address}:${port}`, '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {', `  errno: ${code === 'ETIMEDOUT' ? -110 : -111},`, `  code: '${code}',`, "  syscall: 'connect',", `  address: '${address}',`, `  port: ${port}`, '}', '', 'Node.js v20.18.1'];
  }
  return undefined;
}

const node: CommandImplementation = async (context) => {
  const { host, args } = context;
  if (args[0] === '--version' || args[0] === '-v') {
    context.stdout('v20.18.1\n');
    return 0;
  }
  if (args[0] === '-e' || args[0] === '--eval' || args[0] === '-p') {
    const code = args[1] ?? '';
    for (const match of code.matchAll(/console\.log\((?:'([^']*)'|"([^"]*)"|`([^`]*)`|(\d+))\)/g)) context.stdout(`${match[1] ?? match[2] ?? match[3] ?? match[4]}\n`);
    const exit = /process\.exit\((\d+)\)/.exec(code);
    return exit ? Number(exit[1]) : 0;
  }
  if (args.length === 0) return repl(context);
  const script = absolutePath(args[0], context.cwd);
  if (host.image.definition.kind === 'app' && (script === '/app/dist/server.js' || script === '/app/dist/migrate.js')) {
    if (script.endsWith('migrate.js')) {
      context.stdout(`${JSON.stringify({ level: 'info', time: host.now().toISOString(), msg: 'applying migrations' })}\n`);
      await host.sleepMs(host.jobDurationMs);
      context.stdout(`${JSON.stringify({ level: 'info', time: host.now().toISOString(), msg: 'migrations complete' })}\n`);
      return 0;
    }
    return appServer(context);
  }
  if (!host.fs.stat(script)) {
    context.stderr(nodeModuleMissing(script));
    return 1;
  }
  // A script on disk runs, but its JavaScript is not interpreted: it stays up without output.
  residentMemory(context, 'node');
  return host.waitUntilKilled();
};

function redisTime(now: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${String(now.getUTCDate()).padStart(2, '0')} ${months[now.getUTCMonth()]} ${now.getUTCFullYear()} ${now.toISOString().slice(11, 23)}`;
}

const redisServer: CommandImplementation = async (context) => {
  const { host } = context;
  const { values } = parseOptions(context.args, ['--port', '--requirepass', '--appendonly']);
  const port = Number(values.get('--port') ?? 6379);
  const password = values.get('--requirepass');
  residentMemory(context, 'redis-server');
  const stamp = redisTime(host.now());
  const error = host.listen({
    port,
    protocol: 'TCP',
    program: 'redis-server',
    reply: (input) => {
      const [command = '', ...rest] = input.trim().split(/\s+/);
      if (password && command.toUpperCase() !== 'AUTH') return '-NOAUTH Authentication required.\r\n';
      if (command.toUpperCase() === 'PING') return '+PONG\r\n';
      if (command.toUpperCase() === 'AUTH') return rest[0] === password ? '+OK\r\n' : '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
      return `-ERR unknown command '${command}', with args beginning with: \r\n`;
    },
  });
  if (error) {
    context.stdout(`1:M ${stamp} # Warning: Could not create server TCP listening socket *:${port}: bind: ${error}\n`);
    return 1;
  }
  context.stdout(
    [
      `1:C ${stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo`,
      `1:C ${stamp} * Redis version=${host.image.version}, bits=64, commit=00000000, modified=0, pid=1, just started`,
      `1:C ${stamp} # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf`,
      `1:M ${stamp} * monotonic clock: POSIX clock_gettime`,
      `1:M ${stamp} * Running mode=standalone, port=${port}.`,
      `1:M ${stamp} * Server initialized`,
      `1:M ${stamp} * Ready to accept connections tcp`,
    ].join('\n') + '\n',
  );
  return host.waitUntilKilled();
};

const redisCli: CommandImplementation = async (context) => {
  const { values, operands } = parseOptions(context.args, ['h', 'p', 'a']);
  const hostName = values.get('h') ?? '127.0.0.1';
  const port = Number(values.get('p') ?? 6379);
  const command = operands.length ? operands : ['PING'];
  const resolution = hostName === '127.0.0.1' || hostName === 'localhost' ? { ok: true, addresses: [context.host.podIp] } : context.host.network.resolve(hostName);
  if (!resolution.ok) {
    context.stderr(`Could not connect to Redis at ${hostName}:${port}: Name or service not known\n`);
    return 1;
  }
  const result = context.host.network.connect(resolution.addresses[0], port);
  if ('error' in result) {
    if (result.error === 'timeout') await context.host.sleep(130);
    context.stderr(`Could not connect to Redis at ${hostName}:${port}: ${result.error === 'timeout' ? 'Connection timed out' : 'Connection refused'}\n`);
    return 1;
  }
  if (values.has('a')) result.listener.reply?.(`AUTH ${values.get('a')}`);
  const reply = result.listener.reply?.(command.join(' ')) ?? '';
  context.stdout(`${reply.replace(/^[+]/, '').replace(/^-/, '(error) ').replace(/\r\n$/, '')}\n`);
  return 0;
};

const postgres: CommandImplementation = async (context) => {
  const { host } = context;
  const now = postgresTime(host.now());
  const dataDirectory = context.env.get('PGDATA') ?? '/var/lib/postgresql/data';
  if (!host.fs.stat(`${dataDirectory}/PG_VERSION`)) {
    context.stderr(`postgres: could not access the server configuration file "${dataDirectory}/postgresql.conf": No such file or directory\n`);
    return 2;
  }
  residentMemory(context, 'postgres');
  const error = host.listen({ port: 5432, protocol: 'TCP', program: 'postgres', reply: () => 'E\0\0\0\x08SFATAL\0' });
  if (error) return 1;
  context.stderr(
    [
      `${now} [1] LOG:  starting PostgreSQL ${host.image.version} (Debian ${host.image.version}-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit`,
      `${now} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432`,
      `${now} [1] LOG:  listening on IPv6 address "::", port 5432`,
      `${now} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"`,
      `${now} [64] LOG:  database system was shut down at ${now}`,
      `${now} [1] LOG:  database system is ready to accept connections`,
    ].join('\n') + '\n',
  );
  return host.waitUntilKilled();
};

/** pg_isready / mysqladmin ping: is something listening on the database port (locally or at -h). */
async function databaseReady(context: ProcessContext, port: number): Promise<{ label: string; ready: boolean }> {
  const { values } = parseOptions(context.args, ['h', 'p', 'U', 'd', 'u', 't']);
  const hostName = values.get('h');
  const targetPort = Number(values.get('p') ?? port);
  if (!hostName || hostName === 'localhost' || hostName === '127.0.0.1') {
    const connection = context.host.network.connect(context.host.podIp, targetPort);
    return { label: hostName ? `${hostName}:${targetPort}` : `/var/run/postgresql:${targetPort}`, ready: !('error' in connection) };
  }
  const resolution = context.host.network.resolve(hostName);
  if (!resolution.ok) return { label: `${hostName}:${targetPort}`, ready: false };
  const connection = context.host.network.connect(resolution.addresses[0], targetPort);
  return { label: `${hostName}:${targetPort}`, ready: !('error' in connection) };
}

const pgIsready: CommandImplementation = async (context) => {
  const { label, ready } = await databaseReady(context, 5432);
  context.stdout(`${label} - ${ready ? 'accepting connections' : 'no response'}\n`);
  return ready ? 0 : 2;
};

const psql: CommandImplementation = async (context) => {
  const { values } = parseOptions(context.args, ['h', 'p', 'U', 'd', 'c']);
  const hostName = values.get('h') ?? '/var/run/postgresql';
  const { ready } = await databaseReady(context, 5432);
  if (!ready) {
    if (hostName.startsWith('/')) context.stderr(`psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n`);
    else {
      const resolution = context.host.network.resolve(hostName);
      context.stderr(resolution.ok ? `psql: error: connection to server at "${hostName}" (${resolution.addresses[0]}), port ${values.get('p') ?? 5432} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n` : `psql: error: could not translate host name "${hostName}" to address: Name or service not known\n`);
    }
    return 2;
  }
  const sql = values.get('c');
  if (sql && /^\s*select\s+1\s*;?\s*$/i.test(sql)) context.stdout(' ?column? \n----------\n        1\n(1 row)\n\n');
  else if (sql) context.stdout(`${sql.trim().split(/\s+/)[0].toUpperCase()}\n`);
  return 0;
};

const mysqld: CommandImplementation = async (context) => {
  const { host } = context;
  residentMemory(context, 'mysqld');
  const stamp = `${host.now().toISOString()}`;
  const banner = `J\0\0\0\n${host.image.version}\0`;
  if (host.listen({ port: 3306, protocol: 'TCP', program: 'mysqld', banner }) || host.listen({ port: 33060, protocol: 'TCP', program: 'mysqld', banner: '' })) return 1;
  context.stdout(
    [
      `${stamp} 0 [System] [MY-015015] [Server] MySQL Server - start.`,
      `${stamp} 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld ${host.image.version}) starting as process 1`,
      `${stamp} 1 [System] [MY-013576] [InnoDB] InnoDB initialization has started.`,
      `${stamp} 1 [System] [MY-013577] [InnoDB] InnoDB initialization has ended.`,
      `${stamp} 0 [System] [MY-011323] [Server] X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock`,
      `${stamp} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '${host.image.version}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.`,
    ].join('\n') + '\n',
  );
  return host.waitUntilKilled();
};

const mysqladmin: CommandImplementation = async (context) => {
  const { label, ready } = await databaseReady(context, 3306);
  if (ready) {
    context.stdout('mysqld is alive\n');
    return 0;
  }
  context.stderr(`mysqladmin: connect to server at '${label.split(':')[0]}' failed\nerror: 'Can't connect to MySQL server on '${label}' (111)'\nCheck that mysqld is running on ${label.split(':')[0]} and that the port is ${label.split(':')[1]}.\n`);
  return 1;
};

const stress: CommandImplementation = async (context) => {
  const { values } = parseOptions(context.args, ['c', 'i', 'm', 't', 'd', '--cpu', '--io', '--vm', '--vm-bytes', '--timeout', '--hdd', '--vm-hang']);
  const workers = Number(values.get('m') ?? values.get('--vm') ?? 0);
  const cpu = Number(values.get('c') ?? values.get('--cpu') ?? 0);
  const bytes = parseSize(values.get('--vm-bytes') ?? '256M');
  const timeout = parseDuration(values.get('t') ?? values.get('--timeout') ?? '');
  if (!workers && !cpu) {
    context.stderr('`stress\' imposes certain types of compute stress on your system\n\nUsage: stress [OPTION [ARG]] ...\n');
    return 1;
  }
  context.stdout(`stress: info: [1] dispatching hogs: ${cpu} cpu, 0 io, ${workers} vm, 0 hdd\n`);
  if (workers) {
    // Allocation takes a moment: the OOM kill comes shortly after start, as on a node.
    await context.host.sleep(0.1);
    context.host.allocate(workers * bytes, 'stress');
  }
  if (timeout !== undefined && Number.isFinite(timeout)) {
    await context.host.sleep(timeout);
    context.stdout(`stress: info: [1] successful run completed in ${timeout}s\n`);
    return 0;
  }
  return context.host.waitUntilKilled();
};

const httpEcho: CommandImplementation = async (context) => {
  const { host } = context;
  const options = new Map(context.args.map((arg) => arg.replace(/^--?/, '').split('=', 2) as [string, string]));
  const text = options.get('text');
  if (text === undefined) {
    context.stderr('Missing -text option!\n');
    return 127;
  }
  const port = Number((options.get('listen') ?? ':5678').split(':').pop());
  const status = Number(options.get('status-code') ?? 200);
  const stamp = () => host.now().toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
  const error = host.listen({
    port,
    protocol: 'TCP',
    program: 'http-echo',
    http: (request) => {
      const response = request.path === '/health' ? { status: 200, body: '{"status":"ok"}' } : { status, body: `${text}\n` };
      context.stdout(`${stamp()} ${request.host} ${request.remoteAddress}:51234 "${request.method} ${request.path} HTTP/1.1" ${response.status} ${Buffer.byteLength(response.body)} "${request.headers['user-agent'] ?? ''}" 21.3µs\n`);
      return { ...response, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-app-name': 'http-echo', 'x-app-version': '1.0.0' } };
    },
  });
  if (error) return 1;
  context.stdout(`${stamp()} [INFO] server is listening on :${port}\n`);
  return host.waitUntilKilled();
};

const envoy: CommandImplementation = async (context) => {
  const { host } = context;
  residentMemory(context, 'envoy');
  const admin = host.listen({ port: 9901, protocol: 'TCP', program: 'envoy', http: (request) => (request.path === '/ready' ? { status: 200, body: 'LIVE\n' } : { status: 200, body: 'envoy admin\n' }) });
  if (admin) return 1;
  const stamp = `[${host.now().toISOString().replace('T', ' ').replace('Z', '')}]`;
  context.stderr(`${stamp}[1][info][main] [source/server/server.cc:430] initializing epoch 0 (base id=0, hot restart version=11.104)\n${stamp}[1][info][main] [source/server/server.cc:956] starting main dispatch loop\n`);
  return host.waitUntilKilled();
};

/** Package managers: the simulated cluster has no internet, so they fail the way an offline node does. */
const packageManagers: Record<string, CommandImplementation> = {
  async apk(context) {
    if (context.args[0] !== 'add' && context.args[0] !== 'update') return 0;
    context.stderr('WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.21/main: temporary error (try again later)\nWARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.21/community: temporary error (try again later)\n');
    const packages = context.args.slice(1).filter((arg) => !arg.startsWith('-'));
    if (context.args[0] === 'add' && packages.length) {
      context.stderr(`ERROR: unable to select packages:\n${packages.map((name) => `  ${name} (no such package):\n    required by: world[${name}]\n`).join('')}`);
      return packages.length;
    }
    return 2;
  },
  async 'apt-get'(context) {
    if (context.args[0] === 'update') {
      context.stdout("Err:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'\nReading package lists...\n");
      context.stderr("W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n");
      return 0;
    }
    if (context.args[0] === 'install') {
      const name = context.args.slice(1).filter((arg) => !arg.startsWith('-'))[0] ?? '';
      context.stdout('Reading package lists...\nBuilding dependency tree...\nReading state information...\n');
      context.stderr(`E: Unable to locate package ${name}\n`);
      return 100;
    }
    return 0;
  },
  async pip(context) {
    const name = context.args.slice(1).filter((arg) => !arg.startsWith('-'))[0] ?? '';
    context.stdout(`WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError': Failed to establish a new connection: [Errno -3] Temporary failure in name resolution: /simple/${name}/\n`);
    context.stderr(`ERROR: Could not find a version that satisfies the requirement ${name} (from versions: none)\nERROR: No matching distribution found for ${name}\n`);
    return 1;
  },
  async npm(context) {
    context.stderr('npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/ failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\n');
    return 1;
  },
};

/**
 * Skyflo's own CLI: `serve`, `mcp`, `operator` and `executor` answer health checks on $PORT or their first containerPort (the
 * operator here does not reconcile; tests run the real one outside); anything else is a usage error.
 */
async function skyflo(context: ProcessContext): Promise<number> {
  const subcommand = context.args[0];
  if (subcommand === 'serve' || subcommand === 'mcp' || subcommand === 'operator' || subcommand === 'executor') return appServer(context);
  context.stderr(`skyflo: unknown command "${subcommand ?? ''}"; use serve, mcp, sandbox, operator, executor or chat\n`);
  return 2;
}

export const serverCommands: Record<string, CommandImplementation> = {
  skyflo,
  'docker-entrypoint.sh': dockerEntrypoint,
  'entrypoint.sh': curlEntrypoint,
  nginx,
  httpd: (context) => (isBusybox(context.host) ? busyboxHttpd(context) : apache(context)),
  'httpd-foreground': apache,
  apachectl: apache,
  python,
  python3: python,
  node,
  'redis-server': redisServer,
  'redis-cli': redisCli,
  postgres,
  pg_isready: pgIsready,
  psql,
  initdb: async (context) => {
    context.stderr('initdb: error: cannot be run as root\n');
    return 1;
  },
  gosu: (context) => context.spawn(context.args.slice(1)),
  mysqld,
  mysqladmin,
  mysql: mysqladmin,
  stress,
  'http-echo': httpEcho,
  envoy,
  npx: packageManagers.npm,
  ...packageManagers,
};

