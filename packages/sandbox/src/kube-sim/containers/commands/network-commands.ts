import { fsErrorText } from '../container-filesystem.ts';
import type { CommandImplementation, ConnectFailure, Connection, HttpResponse, ProcessContext } from '../process-types.ts';
import { isBusybox, parseDuration, parseOptions, resolvePath } from './command-helpers.ts';

/** Linux gives up on a TCP connect after ~127 s of SYN retries when nobody answers (dropped packets). */
const kernelConnectTimeoutSeconds = 130;
/** resolv.conf's default: 5 s per attempt, 2 attempts */
const dnsTimeoutSeconds = 10;

export const statusTexts: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

interface ParsedUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  explicitPort: boolean;
}

function parseUrl(text: string): ParsedUrl | undefined {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
  const match = /^([a-z]+):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([^#]*)/i.exec(withScheme);
  if (!match) return undefined;
  const scheme = match[1].toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  return { scheme, host: match[2], port: match[3] ? Number(match[3]) : scheme === 'https' ? 443 : 80, path: match[4] || '/', explicitPort: Boolean(match[3]) };
}

type FetchOutcome =
  | { kind: 'dns'; error: 'NXDOMAIN' | 'TIMEOUT' }
  | { kind: 'connect'; failure: ConnectFailure; waitedSeconds: number }
  | { kind: 'not-http'; address: string; connection: Connection }
  | { kind: 'tls'; address: string }
  | { kind: 'slow'; address: string; waitedSeconds: number }
  | { kind: 'response'; address: string; response: HttpResponse; connection: Connection };

/**
 * One HTTP exchange through the simulated network, waiting (in container time) where a real client would:
 * DNS timeouts, dropped packets until the client's timeout, a server slower than the timeout.
 */
async function fetchThroughNetwork(context: ProcessContext, url: ParsedUrl, request: { method: string; headers: Record<string, string>; body?: string; connectTimeout?: number; maxTime?: number }): Promise<FetchOutcome> {
  const resolution = context.host.network.resolve(url.host);
  if (!resolution.ok) {
    if (resolution.error === 'TIMEOUT') await context.host.sleep(Math.min(dnsTimeoutSeconds, request.maxTime ?? dnsTimeoutSeconds));
    return { kind: 'dns', error: resolution.error ?? 'NXDOMAIN' };
  }
  const address = resolution.addresses[0];
  const result = context.host.network.connect(address, url.port);
  if ('error' in result) {
    if (result.error === 'timeout') {
      const waited = Math.min(request.connectTimeout ?? kernelConnectTimeoutSeconds, request.maxTime ?? kernelConnectTimeoutSeconds);
      await context.host.sleep(waited);
      return { kind: 'connect', failure: result, waitedSeconds: waited };
    }
    return { kind: 'connect', failure: result, waitedSeconds: 0 };
  }
  if (!result.listener.http) return { kind: 'not-http', address, connection: result };
  if (url.scheme === 'https' && !result.listener.program.includes('tls')) return { kind: 'tls', address };
  const hostHeader = url.explicitPort ? `${url.host}:${url.port}` : url.host;
  const response = result.listener.http({ method: request.method, path: url.path, headers: { host: hostHeader, ...request.headers }, body: request.body, remoteAddress: context.host.podIp, host: hostHeader });
  if (response.delaySeconds) {
    const limit = request.maxTime ?? Number.POSITIVE_INFINITY;
    if (response.delaySeconds > limit) {
      await context.host.sleep(limit);
      return { kind: 'slow', address, waitedSeconds: limit };
    }
    await context.host.sleep(response.delaySeconds);
  }
  return { kind: 'response', address, response, connection: result };
}

function progressBar(name: string, size: number): string {
  return `${name.padEnd(20).slice(0, 20)} 100% |********************************| ${String(size).padStart(5)}  0:00:00 ETA\n`;
}

/** busybox wget (Alpine, busybox, curl images) and GNU wget (Debian-based language images). */
const wget: CommandImplementation = async (context) => {
  const busybox = isBusybox(context.host);
  const { flags, values, operands } = parseOptions(context.args, ['O', 'T', 'U', 'P', '--output-document', '--timeout', '--header', '--user-agent', '-H']);
  const quiet = flags.has('q') || flags.has('--quiet');
  const spider = flags.has('--spider');
  const timeout = values.has('T') || values.has('--timeout') ? parseDuration(values.get('T') ?? values.get('--timeout')!) : undefined;
  const output = values.get('O') ?? values.get('--output-document');
  const target = operands[0];
  if (!target) {
    context.stderr(busybox ? 'BusyBox v1.37.0 multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n' : "wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n");
    return 1;
  }
  const url = parseUrl(target);
  if (!url) {
    context.stderr(busybox ? `wget: not an http or ftp url: ${target}\n` : `${target}: Unsupported scheme.\n`);
    return 1;
  }
  const outcome = await fetchThroughNetwork(context, url, { method: spider ? 'HEAD' : 'GET', headers: { 'user-agent': busybox ? 'Wget' : 'Wget/1.21.3', accept: '*/*' }, connectTimeout: timeout, maxTime: timeout });
  const say = (text: string) => {
    if (!quiet) context.stderr(text);
  };
  // GNU wget -q prints nothing at all, errors included; busybox still reports them.
  const report = (text: string) => (busybox ? context.stderr(text) : say(text));
  if (outcome.kind === 'dns') {
    report(busybox ? `wget: bad address '${url.host}'\n` : `wget: unable to resolve host address ‘${url.host}’\n`);
    return busybox ? 1 : 4;
  }
  if (outcome.kind === 'connect') {
    const { failure } = outcome;
    if (busybox) {
      if (failure.error === 'timeout' && timeout !== undefined) context.stderr('wget: download timed out\n');
      else context.stderr(`wget: can't connect to remote host (${failure.address}): ${failure.error === 'timeout' ? 'Connection timed out' : failure.error === 'unreachable' ? 'No route to host' : 'Connection refused'}\n`);
      return 1;
    }
    say(`Connecting to ${url.host} (${url.host})|${failure.address}|:${url.port}... failed: ${failure.error === 'timeout' ? 'Connection timed out' : failure.error === 'unreachable' ? 'No route to host' : 'Connection refused'}.\n`);
    return 4;
  }
  say(busybox ? `Connecting to ${url.host}${url.explicitPort ? `:${url.port}` : ''} (${outcome.address}:${url.port})\n` : `Connecting to ${url.host} (${url.host})|${outcome.address}|:${url.port}... connected.\n`);
  if (outcome.kind === 'slow') {
    report(busybox ? 'wget: download timed out\n' : 'Read error (Connection timed out) in headers.\n');
    return busybox ? 1 : 4;
  }
  if (outcome.kind === 'not-http' || outcome.kind === 'tls') {
    report(busybox ? 'wget: error getting response: Connection reset by peer\n' : 'Read error (Connection reset by peer) in headers.\n');
    return busybox ? 1 : 4;
  }
  const { response } = outcome;
  const statusText = response.statusText ?? statusTexts[response.status] ?? '';
  if (response.status >= 400) {
    if (busybox) context.stderr(`wget: server returned error: HTTP/1.1 ${response.status} ${statusText}\n`);
    else say(`HTTP request sent, awaiting response... ${response.status} ${statusText}\n${context.host.now().toISOString().replace('T', ' ').slice(0, 19)} ERROR ${response.status}: ${statusText}.\n\n`);
    return busybox ? 1 : 8;
  }
  if (spider) {
    say(busybox ? 'remote file exists\n' : 'Remote file exists.\n\n');
    return 0;
  }
  const size = Buffer.byteLength(response.body);
  if (output === '-') {
    say(busybox ? 'writing to stdout\n' : `HTTP request sent, awaiting response... ${response.status} ${statusText}\nLength: ${size}\nSaving to: ‘STDOUT’\n\n`);
    context.stdout(response.body);
    say(busybox ? `${progressBar('-', size)}written to stdout\n` : `\n${new Date(context.host.now()).toISOString().replace('T', ' ').slice(0, 19)} (1.00 MB/s) - written to stdout [${size}/${size}]\n\n`);
    return 0;
  }
  const fileName = output ?? (url.path.split('?')[0].split('/').pop() || 'index.html');
  const directory = values.get('P');
  const path = resolvePath(context, directory ? `${directory}/${fileName}` : fileName);
  if (!output && context.host.fs.stat(path) && busybox) {
    context.stderr(`wget: can't open '${fileName}': File exists\n`);
    return 1;
  }
  const error = context.host.fs.write(path, response.body);
  if (error) {
    context.stderr(busybox ? `wget: can't open '${fileName}': ${fsErrorText[error]}\n` : `${fileName}: ${fsErrorText[error]}\n`);
    return busybox ? 1 : 3;
  }
  say(busybox ? `saving to '${fileName}'\n${progressBar(fileName, size)}'${fileName}' saved\n` : `HTTP request sent, awaiting response... ${response.status} ${statusText}\nLength: ${size}\nSaving to: ‘${fileName}’\n\n‘${fileName}’ saved [${size}/${size}]\n\n`);
  return 0;
};

const curlValueOptions = ['o', 'w', 'X', 'H', 'd', 'm', 'u', 'A', 'e', 'T', '--output', '--write-out', '--request', '--header', '--data', '--data-raw', '--max-time', '--connect-timeout', '--user', '--user-agent', '--retry', '--retry-delay', '--resolve', '--cacert'];

const curl: CommandImplementation = async (context) => {
  const { flags, values, operands } = parseOptions(context.args, curlValueOptions);
  const has = (short: string, long: string) => flags.has(short) || flags.has(long);
  const silent = has('s', '--silent');
  const showError = has('S', '--show-error');
  const fail = has('f', '--fail');
  const head = has('I', '--head');
  const include = has('i', '--include');
  const verbose = has('v', '--verbose');
  const output = values.get('o') ?? values.get('--output');
  const writeOut = values.get('w') ?? values.get('--write-out');
  const maxTime = values.has('m') || values.has('--max-time') ? Number(values.get('m') ?? values.get('--max-time')) : undefined;
  const connectTimeout = values.has('--connect-timeout') ? Number(values.get('--connect-timeout')) : undefined;
  const data = values.get('d') ?? values.get('--data') ?? values.get('--data-raw');
  const method = values.get('X') ?? values.get('--request') ?? (head ? 'HEAD' : data !== undefined ? 'POST' : 'GET');
  const headers: Record<string, string> = { 'user-agent': 'curl/8.11.1', accept: '*/*' };
  for (const [key, value] of values) if (key === 'H' || key === '--header') headers[value.split(':')[0].toLowerCase()] = value.slice(value.indexOf(':') + 1).trim();
  const error = (code: number, message: string) => {
    if (!silent || showError) context.stderr(`curl: (${code}) ${message}\n`);
    return code;
  };
  const target = operands[0];
  if (!target) {
    context.stderr("curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
  }
  const url = parseUrl(target);
  if (!url) return error(1, `Protocol "${target.split(':')[0]}" not supported`);
  const started = 2;
  const outcome = await fetchThroughNetwork(context, url, { method, headers, body: data, connectTimeout, maxTime });
  if (verbose && outcome.kind !== 'dns') context.stderr(`* Host ${url.host}:${url.port} was resolved.\n*   Trying ${'address' in outcome ? outcome.address : outcome.failure.address}:${url.port}...\n`);
  if (outcome.kind === 'dns') return error(6, `Could not resolve host: ${url.host}`);
  if (outcome.kind === 'connect') {
    const { failure } = outcome;
    if (failure.error === 'timeout') {
      if (maxTime !== undefined && (connectTimeout === undefined || maxTime <= connectTimeout)) return error(28, `Connection timed out after ${Math.round(outcome.waitedSeconds * 1000) + 1} milliseconds`);
      if (connectTimeout !== undefined) return error(28, `Failed to connect to ${url.host} port ${url.port} after ${Math.round(outcome.waitedSeconds * 1000) + 2} ms: Timeout was reached`);
      return error(28, `Failed to connect to ${url.host} port ${url.port} after ${Math.round(outcome.waitedSeconds * 1000)} ms: Couldn't connect to server`);
    }
    if (failure.error === 'unreachable') return error(7, `Failed to connect to ${url.host} port ${url.port} after ${started} ms: Could not connect to server`);
    return error(7, `Failed to connect to ${url.host} port ${url.port} after ${started} ms: Couldn't connect to server`);
  }
  if (outcome.kind === 'slow') return error(28, `Operation timed out after ${Math.round(outcome.waitedSeconds * 1000) + 1} milliseconds with 0 bytes received`);
  if (outcome.kind === 'tls') return error(35, 'OpenSSL/3.3.2: error:0A00010B:SSL routines::wrong version number');
  if (outcome.kind === 'not-http') {
    if (outcome.connection.listener.banner) return error(1, 'Received HTTP/0.9 when not allowed');
    return error(52, 'Empty reply from server');
  }
  const { response } = outcome;
  const statusText = response.statusText ?? statusTexts[response.status] ?? '';
  const headerText = `HTTP/1.1 ${response.status} ${statusText}\r\n${Object.entries({ 'content-length': String(Buffer.byteLength(response.body)), ...(response.headers ?? {}) })
    .map(([key, value]) => `${key}: ${value}`)
    .join('\r\n')}\r\n\r\n`;
  if (verbose) context.stderr(`* Connected to ${url.host} (${outcome.address}) port ${url.port}\n> ${method} ${url.path} HTTP/1.1\n> Host: ${url.host}\n> User-Agent: curl/8.11.1\n> Accept: */*\n>\n< ${headerText.trimEnd().split('\r\n').join('\n< ')}\n<\n`);
  if (fail && response.status >= 400) return error(22, `The requested URL returned error: ${response.status}`);
  const body = head ? headerText : `${include ? headerText : ''}${response.body}`;
  const size = Buffer.byteLength(response.body);
  if (!silent && !verbose) {
    context.stderr(`  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 ${String(size).padStart(5)}  100 ${String(size).padStart(5)}    0     0   300k      0 --:--:-- --:--:-- --:--:--  600k\n`);
  }
  if (output && output !== '-') {
    const writeError = context.host.fs.write(resolvePath(context, output), body);
    if (writeError) return error(23, `Failure writing output to destination, passed ${size} returned 0`);
  } else context.stdout(body);
  if (writeOut) {
    context.stdout(
      writeOut
        .replace(/\\n/g, '\n')
        .replace(/%\{(\w+)\}/g, (_match, variable: string) => ({ http_code: String(response.status), response_code: String(response.status), size_download: String(size), remote_ip: outcome.address, remote_port: String(url.port), time_total: '0.002', url_effective: target } as Record<string, string>)[variable] ?? ''),
    );
  }
  return 0;
};

/** busybox nslookup: the resolver answer for a Service, a pod or a headless Service's pods. */
const nslookup: CommandImplementation = async (context) => {
  const name = context.args.filter((arg) => !arg.startsWith('-'))[0];
  if (!name) {
    context.stderr('BusyBox v1.37.0 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n');
    return 1;
  }
  const resolution = context.host.network.resolve(name);
  if (resolution.error === 'TIMEOUT') {
    await context.host.sleep(dnsTimeoutSeconds);
    context.stdout(';; connection timed out; no servers could be reached\n\n');
    return 1;
  }
  let text = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n';
  if (!resolution.ok) {
    const namespace = context.host.pod.metadata.namespace ?? 'default';
    const candidates = name.endsWith('.') || name.split('.').length > 4 ? [name.replace(/\.$/, '')] : [`${name}.${namespace}.svc.cluster.local`, `${name}.svc.cluster.local`, `${name}.cluster.local`, name];
    text += candidates.map((candidate) => `** server can't find ${candidate}: NXDOMAIN\n\n`).join('');
    context.stdout(text);
    return 1;
  }
  if (resolution.canonicalName) text += `${name}\tcanonical name = ${resolution.canonicalName}\n`;
  for (const address of resolution.addresses) text += `Name:\t${resolution.name}\nAddress: ${address}\n`;
  context.stdout(`${text}\n`);
  return 0;
};

/** busybox nc: `-z` port checks, sending stdin to a server, and `-l -p PORT` as a one-line server. */
const nc: CommandImplementation = async (context) => {
  const { flags, values, operands } = parseOptions(context.args, ['w', 'p', 'e']);
  const timeout = values.has('w') ? Number(values.get('w')) : undefined;
  if (flags.has('l')) {
    const port = Number(values.get('p') ?? operands[0]);
    const reply = await context.stdin.readAll();
    const isHttp = /^HTTP\/1\.[01] \d{3}/.test(reply);
    const listenError = context.host.listen({
      port,
      protocol: 'TCP',
      program: 'nc',
      ...(isHttp
        ? {
            http: () => {
              const [head, ...rest] = reply.split(/\r?\n\r?\n/);
              const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)![1]);
              return { status, body: rest.join('\n\n') };
            },
          }
        : { reply: () => reply }),
    });
    if (listenError) {
      context.stderr(`nc: bind: ${listenError}\n`);
      return 1;
    }
    return context.host.waitUntilKilled();
  }
  const [host, portText] = operands;
  if (!host || !portText) {
    context.stderr('BusyBox v1.37.0 multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n');
    return 1;
  }
  const resolution = context.host.network.resolve(host);
  if (!resolution.ok) {
    if (resolution.error === 'TIMEOUT') await context.host.sleep(dnsTimeoutSeconds);
    context.stderr(`nc: bad address '${host}'\n`);
    return 1;
  }
  const address = resolution.addresses[0];
  const port = Number(portText);
  const result = context.host.network.connect(address, port, flags.has('u') ? 'UDP' : 'TCP');
  const label = `${host} (${address}:${port})`;
  if ('error' in result) {
    if (result.error === 'timeout') {
      await context.host.sleep(timeout ?? kernelConnectTimeoutSeconds);
      context.stderr(timeout !== undefined ? 'nc: timeout\n' : `nc: ${label}: Connection timed out\n`);
      return 1;
    }
    context.stderr(`nc: ${label}: ${result.error === 'unreachable' ? 'No route to host' : 'Connection refused'}\n`);
    return 1;
  }
  if (flags.has('z')) {
    if (flags.has('v')) context.stderr(`${label} open\n`);
    return 0;
  }
  if (result.listener.banner) context.stdout(result.listener.banner);
  const input = await context.stdin.readAll();
  if (result.listener.http && input) {
    const [requestLine] = input.split(/\r?\n/);
    const [method = 'GET', path = '/'] = requestLine.split(' ');
    const response = result.listener.http({ method, path, headers: {}, remoteAddress: context.host.podIp, host });
    context.stdout(`HTTP/1.1 ${response.status} ${response.statusText ?? statusTexts[response.status] ?? ''}\r\n\r\n${response.body}`);
  } else if (input && result.listener.reply) {
    for (const line of input.split('\n').filter(Boolean)) context.stdout(result.listener.reply(line));
  }
  return 0;
};

const ping: CommandImplementation = async (context) => {
  const { values, operands } = parseOptions(context.args, ['c', 'W', 'w', 'i']);
  const host = operands[0];
  if (!host) {
    context.stderr('BusyBox v1.37.0 multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n');
    return 1;
  }
  const resolution = context.host.network.resolve(host);
  if (!resolution.ok) {
    context.stderr(`ping: bad address '${host}'\n`);
    return 1;
  }
  const address = resolution.addresses[0];
  const count = values.has('c') ? Number(values.get('c')) : Number.POSITIVE_INFINITY;
  const answers = context.host.network.pingable(address);
  context.stdout(`PING ${host} (${address}): 56 data bytes\n`);
  let sent = 0;
  while (sent < count) {
    if (answers) context.stdout(`64 bytes from ${address}: seq=${sent} ttl=63 time=0.${String(80 + ((sent * 37) % 90)).padStart(3, '0')} ms\n`);
    sent++;
    if (sent < count) await context.host.sleep(1);
  }
  context.stdout(`\n--- ${host} ping statistics ---\n${sent} packets transmitted, ${answers ? sent : 0} packets received, ${answers ? 0 : 100}% packet loss\n${answers ? 'round-trip min/avg/max = 0.080/0.120/0.170 ms\n' : ''}`);
  return answers ? 0 : 1;
};

export const networkCommands: Record<string, CommandImplementation> = { wget, curl, nslookup, nc, ping };
