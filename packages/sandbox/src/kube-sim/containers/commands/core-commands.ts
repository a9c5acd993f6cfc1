import { createHash } from 'node:crypto';
import { fsErrorText } from '../container-filesystem.ts';
import type { CommandImplementation, ProcessContext } from '../process-types.ts';
import { evaluateTest, printfFormat } from '../shell/shell-interpreter.ts';
import { formatBytes, formatDate, isBusybox, mainCommandLine, parseDuration, parseOptions, parseSize, readFileOrReport, resolvePath } from './command-helpers.ts';

/** Reads operands (or stdin when there are none, or for `-`); returns undefined pieces for unreadable files. */
async function inputs(context: ProcessContext, operands: string[]): Promise<Array<{ name: string; content: string | undefined }>> {
  if (operands.length === 0) return [{ name: '-', content: await context.stdin.readAll() }];
  const result: Array<{ name: string; content: string | undefined }> = [];
  for (const operand of operands) result.push({ name: operand, content: operand === '-' ? await context.stdin.readAll() : readFileOrReport(context, operand) });
  return result;
}

const lines = (text: string) => (text.length ? text.replace(/\n$/, '').split('\n') : []);
const joinLines = (items: string[]) => items.map((line) => `${line}\n`).join('');

function modeString(type: 'file' | 'dir', mode: number): string {
  const bits = ['r', 'w', 'x'];
  let text = type === 'dir' ? 'd' : '-';
  for (let shift = 6; shift >= 0; shift -= 3) for (let bit = 0; bit < 3; bit++) text += mode & (1 << (shift + 2 - bit)) ? bits[bit] : '-';
  return text;
}

function lsTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${date.toISOString().slice(11, 16)}`;
}

const ls: CommandImplementation = async (context) => {
  const { flags, operands } = parseOptions(context.args);
  const busybox = isBusybox(context.host);
  const targets = operands.length ? operands : ['.'];
  let status = 0;
  const long = flags.has('l');
  const all = flags.has('a') || flags.has('A');
  const user = context.host.image.definition.user ?? 'root';
  const entryLine = (name: string, node: { type: 'file' | 'dir'; content: string; mode: number; modified: Date }) => {
    if (!long) return `${name}\n`;
    const size = node.type === 'dir' ? 4096 : Buffer.byteLength(node.content);
    const sizeText = flags.has('h') ? formatBytes(size) : String(size);
    return busybox
      ? `${modeString(node.type, node.mode)}    ${node.type === 'dir' ? 2 : 1} ${user.padEnd(8)} ${user.padEnd(8)} ${sizeText.padStart(9)} ${lsTime(node.modified)} ${name}\n`
      : `${modeString(node.type, node.mode)} ${node.type === 'dir' ? 2 : 1} ${user} ${user} ${sizeText.padStart(5)} ${lsTime(node.modified)} ${name}\n`;
  };
  const sections: string[] = [];
  for (const target of targets) {
    const path = resolvePath(context, target);
    const node = context.host.fs.stat(path);
    if (!node) {
      context.stderr(busybox ? `ls: ${target}: No such file or directory\n` : `ls: cannot access '${target}': No such file or directory\n`);
      status = busybox ? 1 : 2;
      continue;
    }
    if (node.type === 'file' || flags.has('d')) {
      sections.push(entryLine(target, node));
      continue;
    }
    const listing = context.host.fs.list(path);
    const names = 'names' in listing ? listing.names.filter((name) => all || !name.startsWith('.')) : [];
    let text = targets.length > 1 ? `${target}:\n` : '';
    if (long && !busybox) text += `total ${names.length * 4}\n`;
    if (flags.has('a')) text += entryLine('.', node) + entryLine('..', node);
    for (const name of names) {
      const child = context.host.fs.stat(`${path === '/' ? '' : path}/${name}`);
      if (child) text += entryLine(name, child);
    }
    sections.push(text);
  }
  context.stdout(sections.join(targets.length > 1 ? '\n' : ''));
  return status;
};

const cat: CommandImplementation = async (context) => {
  const { operands } = parseOptions(context.args);
  if (operands.some((operand) => operand === '/dev/zero' || operand === '/dev/urandom')) return context.host.waitUntilKilled();
  let status = 0;
  for (const item of await inputs(context, operands)) {
    if (item.content === undefined) status = 1;
    else context.stdout(item.content);
  }
  return status;
};

async function headOrTail(context: ProcessContext, tail: boolean): Promise<number> {
  const normalized = context.args.map((arg) => (/^-\d+$/.test(arg) ? `-n${arg.slice(1)}` : arg));
  const { flags, values, operands } = parseOptions(normalized, ['n', 'c']);
  const count = Number(values.get('n')?.replace(/^\+/, '') ?? 10);
  if (operands.length === 1 && (operands[0] === '/dev/zero' || operands[0] === '/dev/urandom')) {
    if (values.has('c')) {
      context.stdout('\0'.repeat(Math.min(parseSize(values.get('c')!), 1 << 20)));
      return 0;
    }
    if (tail) {
      // `tail /dev/zero` keeps what it reads looking for newlines: the classic way to fill memory.
      for (;;) {
        context.host.allocate(256 * 2 ** 20, 'tail');
        await context.host.sleep(0.2);
      }
    }
  }
  if (tail && flags.has('f') && operands.length > 0) {
    const path = resolvePath(context, operands[0]);
    if (path === '/dev/null') return context.host.waitUntilKilled();
    const initial = readFileOrReport(context, operands[0]);
    if (initial === undefined) return 1;
    context.stdout(joinLines(lines(initial).slice(-count)));
    let seen = initial.length;
    for (;;) {
      await context.host.sleep(1);
      const file = context.host.fs.read(path);
      if ('content' in file && file.content.length > seen) {
        context.stdout(file.content.slice(seen));
        seen = file.content.length;
      }
    }
  }
  let status = 0;
  for (const item of await inputs(context, operands)) {
    if (item.content === undefined) {
      status = 1;
      continue;
    }
    if (values.has('c')) {
      const bytes = parseSize(values.get('c')!);
      context.stdout(tail ? item.content.slice(-bytes) : item.content.slice(0, bytes));
      continue;
    }
    const all = lines(item.content);
    const fromStart = values.get('n')?.startsWith('+');
    context.stdout(joinLines(tail ? (fromStart ? all.slice(count - 1) : all.slice(-count)) : all.slice(0, count)));
  }
  return status;
}

const grep: CommandImplementation = async (context) => {
  const { flags, values, operands } = parseOptions(context.args, ['e', 'm']);
  const pattern = values.get('e') ?? operands.shift();
  if (pattern === undefined) {
    context.stderr(isBusybox(context.host) ? 'BusyBox v1.37.0 multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n' : "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n");
    return 2;
  }
  let regex: RegExp;
  try {
    const source = flags.has('F') ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : flags.has('E') ? pattern : pattern.replace(/\\\|/g, '|').replace(/\\([(){}+?])/g, '$1');
    regex = new RegExp(flags.has('w') ? `\\b(?:${source})\\b` : flags.has('x') ? `^(?:${source})$` : source, flags.has('i') ? 'i' : '');
  } catch {
    context.stderr(`grep: invalid regular expression: ${pattern}\n`);
    return 2;
  }
  let matched = false;
  let status = 0;
  const items = await inputs(context, operands);
  for (const item of items) {
    if (item.content === undefined) {
      status = 2;
      continue;
    }
    const found = lines(item.content)
      .map((line, index) => ({ line, number: index + 1 }))
      .filter(({ line }) => regex.test(line) !== flags.has('v'));
    if (found.length) matched = true;
    if (flags.has('q')) continue;
    const prefix = items.length > 1 && !flags.has('h') ? `${item.name}:` : '';
    if (flags.has('c')) context.stdout(`${prefix}${found.length}\n`);
    else if (flags.has('l')) {
      if (found.length) context.stdout(`${item.name}\n`);
    } else {
      const limited = values.has('m') ? found.slice(0, Number(values.get('m'))) : found;
      for (const { line, number } of limited) {
        if (flags.has('o')) for (const match of line.match(new RegExp(regex.source, `g${regex.flags}`)) ?? []) context.stdout(`${prefix}${match}\n`);
        else context.stdout(`${prefix}${flags.has('n') ? `${number}:` : ''}${line}\n`);
      }
    }
  }
  return status === 2 && !matched ? 2 : matched ? 0 : 1;
};

const wc: CommandImplementation = async (context) => {
  const { flags, operands } = parseOptions(context.args);
  const busybox = isBusybox(context.host);
  let status = 0;
  for (const item of await inputs(context, operands)) {
    if (item.content === undefined) {
      status = 1;
      continue;
    }
    const counts = { l: (item.content.match(/\n/g) ?? []).length, w: item.content.split(/\s+/).filter(Boolean).length, c: Buffer.byteLength(item.content) };
    const chosen = (['l', 'w', 'c'] as const).filter((flag) => flags.has(flag) || flags.has(flag === 'c' ? 'm' : flag));
    const shown = chosen.length ? chosen : (['l', 'w', 'c'] as const);
    const numbers = shown.map((flag) => (shown.length === 1 && item.name === '-' ? String(counts[flag]) : String(counts[flag]).padStart(busybox ? 9 : 7)));
    context.stdout(`${numbers.join(busybox ? '' : ' ').trimStart()}${item.name === '-' ? '' : ` ${item.name}`}\n`);
  }
  return status;
};

const sed: CommandImplementation = async (context) => {
  const { flags, values, operands } = parseOptions(context.args, ['e']);
  const script = values.get('e') ?? operands.shift() ?? '';
  const match = /^s(.)(.*?)\1(.*?)\1([gip]*)$/.exec(script);
  if (!match) {
    context.stderr(`sed: kube-sim's sed understands s/regex/replacement/[g] only: "${script}"\n`);
    return 1;
  }
  const regex = new RegExp(match[2].replace(/\\([(){}+?|])/g, '$1'), match[4].includes('g') ? 'g' : '' + (match[4].includes('i') ? 'i' : ''));
  const replacement = match[3].replace(/\\(\d)/g, '$$$1').replace(/&/g, '$$&');
  const transform = (text: string) => joinLines(lines(text).map((line) => line.replace(regex, replacement)));
  if (flags.has('i')) {
    for (const operand of operands) {
      const content = readFileOrReport(context, operand);
      if (content === undefined) return 1;
      const error = context.host.fs.write(resolvePath(context, operand), transform(content));
      if (error) {
        context.stderr(`sed: couldn't open temporary file ${operand}: ${fsErrorText[error]}\n`);
        return 4;
      }
    }
    return 0;
  }
  for (const item of await inputs(context, operands)) if (item.content !== undefined) context.stdout(transform(item.content));
  return 0;
};

const sleep: CommandImplementation = async (context) => {
  if (context.args.length === 0) {
    context.stderr(isBusybox(context.host) ? 'BusyBox v1.37.0 multi-call binary.\n\nUsage: sleep [N]...\n' : "sleep: missing operand\nTry 'sleep --help' for more information.\n");
    return 1;
  }
  let total = 0;
  for (const arg of context.args) {
    const seconds = parseDuration(arg);
    if (seconds === undefined) {
      context.stderr(isBusybox(context.host) ? `sleep: invalid number '${arg}'\n` : `sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`);
      return 1;
    }
    total += seconds;
  }
  if (!Number.isFinite(total)) return context.host.waitUntilKilled();
  await context.host.sleep(total);
  return 0;
};

const fileCommands: Record<string, CommandImplementation> = {
  async mkdir(context) {
    const { flags, operands } = parseOptions(context.args, ['m']);
    let status = 0;
    for (const operand of operands) {
      const error = context.host.fs.mkdir(resolvePath(context, operand), { parents: flags.has('p') });
      if (error) {
        context.stderr(isBusybox(context.host) ? `mkdir: can't create directory '${operand}': ${fsErrorText[error]}\n` : `mkdir: cannot create directory '${operand}': ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async rm(context) {
    const { flags, operands } = parseOptions(context.args);
    let status = 0;
    for (const operand of operands) {
      const error = context.host.fs.remove(resolvePath(context, operand), { recursive: flags.has('r') || flags.has('R') });
      if (error === 'ENOENT' && flags.has('f')) continue;
      if (error) {
        context.stderr(isBusybox(context.host) ? `rm: can't remove '${operand}': ${fsErrorText[error]}\n` : `rm: cannot remove '${operand}': ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async rmdir(context) {
    let status = 0;
    for (const operand of context.args) {
      const listing = context.host.fs.list(resolvePath(context, operand));
      const error = 'error' in listing ? listing.error : listing.names.length ? 'ENOTEMPTY' : context.host.fs.remove(resolvePath(context, operand), { recursive: true });
      if (error) {
        context.stderr(`rmdir: '${operand}': ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async touch(context) {
    let status = 0;
    for (const operand of parseOptions(context.args).operands) {
      const error = context.host.fs.write(resolvePath(context, operand), '', { append: true });
      if (error) {
        context.stderr(`touch: ${operand}: ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async cp(context) {
    const { operands } = parseOptions(context.args);
    const target = operands.pop();
    if (!target || operands.length === 0) {
      context.stderr('cp: missing file operand\n');
      return 1;
    }
    let status = 0;
    const targetNode = context.host.fs.stat(resolvePath(context, target));
    for (const source of operands) {
      const content = readFileOrReport(context, source, 'cp');
      if (content === undefined) {
        status = 1;
        continue;
      }
      const destination = targetNode?.type === 'dir' ? `${resolvePath(context, target)}/${source.split('/').pop()}` : resolvePath(context, target);
      const error = context.host.fs.write(destination, content);
      if (error) {
        context.stderr(`cp: can't create '${target}': ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async mv(context) {
    const status = await fileCommands.cp(context);
    if (status === 0) for (const source of parseOptions(context.args).operands.slice(0, -1)) context.host.fs.remove(resolvePath(context, source), { recursive: true });
    return status;
  },
  async ln(context) {
    const { operands } = parseOptions(context.args);
    return fileCommands.cp({ ...context, args: operands });
  },
  async chmod(context) {
    const { operands } = parseOptions(context.args);
    const mode = operands.shift() ?? '';
    let status = 0;
    for (const operand of operands) {
      const path = resolvePath(context, operand);
      const node = context.host.fs.stat(path);
      if (!node) {
        context.stderr(`chmod: ${operand}: No such file or directory\n`);
        status = 1;
        continue;
      }
      const next = /^[0-7]{3,4}$/.test(mode) ? parseInt(mode, 8) : mode.includes('+x') ? node.mode | 0o111 : mode.includes('-x') ? node.mode & ~0o111 : node.mode;
      const error = node.type === 'file' ? context.host.fs.write(path, node.content, { mode: next }) : undefined;
      if (error) {
        context.stderr(`chmod: ${operand}: ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async stat(context) {
    const { values, operands } = parseOptions(context.args, ['c']);
    let status = 0;
    for (const operand of operands) {
      const node = context.host.fs.stat(resolvePath(context, operand));
      if (!node) {
        context.stderr(isBusybox(context.host) ? `stat: can't stat '${operand}': No such file or directory\n` : `stat: cannot statx '${operand}': No such file or directory\n`);
        status = 1;
        continue;
      }
      const size = node.type === 'dir' ? 4096 : Buffer.byteLength(node.content);
      const format = values.get('c');
      if (format) {
        context.stdout(`${format.replace(/%([asnUGFA])/g, (_match, code: string) => ({ a: node.mode.toString(8), s: String(size), n: operand, U: 'root', G: 'root', F: node.type === 'dir' ? 'directory' : 'regular file', A: modeString(node.type, node.mode) } as Record<string, string>)[code])}\n`);
      } else {
        context.stdout(`  File: ${operand}\n  Size: ${size}\t\tBlocks: ${Math.ceil(size / 512)}\t IO Block: 4096   ${node.type === 'dir' ? 'directory' : 'regular file'}\nAccess: (0${node.mode.toString(8)}/${modeString(node.type, node.mode)})  Uid: (    0/    root)   Gid: (    0/    root)\n`);
      }
    }
    return status;
  },
  async find(context) {
    const { values, operands } = parseOptions(context.args.map((arg) => (arg === '-name' ? '--name' : arg === '-type' ? '--type' : arg)), ['--name', '--type']);
    const root = operands[0] ?? '.';
    const matcher = values.get('--name') ? new RegExp(`^${values.get('--name')!.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) : undefined;
    const type = values.get('--type');
    const walk = (path: string, shown: string) => {
      const node = context.host.fs.stat(path);
      if (!node) return;
      const name = shown.split('/').pop() ?? shown;
      if ((!matcher || matcher.test(name)) && (!type || (type === 'd') === (node.type === 'dir'))) context.stdout(`${shown}\n`);
      if (node.type !== 'dir') return;
      const listing = context.host.fs.list(path);
      if ('names' in listing) for (const child of listing.names) if (!child.startsWith('.keep')) walk(`${path === '/' ? '' : path}/${child}`, `${shown === '/' ? '' : shown}/${child}`);
    };
    if (!context.host.fs.stat(resolvePath(context, root))) {
      context.stderr(`find: ${root}: No such file or directory\n`);
      return 1;
    }
    walk(resolvePath(context, root), root);
    return 0;
  },
  async dd(context) {
    const options = new Map(context.args.map((arg) => arg.split('=', 2) as [string, string]));
    const blockSize = parseSize(options.get('bs') ?? '512');
    const input = options.get('if') ?? '-';
    const output = options.get('of') ?? '-';
    let bytes: number;
    let content: string | undefined;
    if (input === '/dev/zero' || input === '/dev/urandom') {
      const count = options.has('count') ? Number(options.get('count')) : Number.POSITIVE_INFINITY;
      bytes = blockSize * count;
    } else {
      content = input === '-' ? await context.stdin.readAll() : readFileOrReport(context, input, 'dd');
      if (content === undefined) return 1;
      bytes = Buffer.byteLength(content);
    }
    if (output.startsWith('/dev/shm/') || !Number.isFinite(bytes)) {
      // tmpfs pages are charged to the container's memory cgroup.
      context.host.allocate(Number.isFinite(bytes) ? bytes : Number.MAX_SAFE_INTEGER, 'dd');
    }
    if (output !== '/dev/null' && output !== '-' && !output.startsWith('/dev/')) {
      const error = context.host.fs.write(resolvePath(context, output), content ?? '\0'.repeat(Math.min(bytes, 1 << 20)));
      if (error) {
        context.stderr(`dd: can't open '${output}': ${fsErrorText[error]}\n`);
        return 1;
      }
    } else if (output === '-') context.stdout(content ?? '\0'.repeat(Math.min(bytes, 1 << 16)));
    const records = Math.ceil(bytes / blockSize);
    context.stderr(`${records}+0 records in\n${records}+0 records out\n${bytes} bytes (${formatBytes(bytes)}B) copied, 0.${String(records % 1000).padStart(6, '0')} seconds, 1.9GB/s\n`);
    return 0;
  },
};

const textCommands: Record<string, CommandImplementation> = {
  cat,
  ls,
  grep,
  wc,
  sed,
  sleep,
  head: (context) => headOrTail(context, false),
  tail: (context) => headOrTail(context, true),
  async sort(context) {
    const { flags, operands } = parseOptions(context.args);
    const all = (await inputs(context, operands)).flatMap((item) => lines(item.content ?? ''));
    let sorted = flags.has('n') ? all.sort((left, right) => parseFloat(left) - parseFloat(right)) : all.sort();
    if (flags.has('r')) sorted = sorted.reverse();
    if (flags.has('u')) sorted = [...new Set(sorted)];
    context.stdout(joinLines(sorted));
    return 0;
  },
  async uniq(context) {
    const { flags, operands } = parseOptions(context.args);
    const all = (await inputs(context, operands)).flatMap((item) => lines(item.content ?? ''));
    const groups: Array<{ line: string; count: number }> = [];
    for (const line of all) {
      if (groups.at(-1)?.line === line) groups.at(-1)!.count++;
      else groups.push({ line, count: 1 });
    }
    context.stdout(joinLines(groups.map((group) => (flags.has('c') ? `${String(group.count).padStart(7)} ${group.line}` : group.line))));
    return 0;
  },
  async cut(context) {
    const { values, operands } = parseOptions(context.args, ['d', 'f', 'c']);
    const delimiter = values.get('d') ?? '\t';
    const fields = (values.get('f') ?? '1').split(',').map(Number);
    const all = (await inputs(context, operands)).flatMap((item) => lines(item.content ?? ''));
    context.stdout(joinLines(all.map((line) => (line.includes(delimiter) ? fields.map((field) => line.split(delimiter)[field - 1] ?? '').join(delimiter) : line))));
    return 0;
  },
  async tr(context) {
    const { flags, operands } = parseOptions(context.args);
    const expand = (set: string) => set.replace(/(.)-(.)/g, (_match, from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_value, index) => String.fromCharCode(from.charCodeAt(0) + index)).join('')).replace(/\\n/g, '\n');
    const input = await context.stdin.readAll();
    const from = expand(operands[0] ?? '');
    if (flags.has('d')) {
      context.stdout([...input].filter((character) => !from.includes(character)).join(''));
      return 0;
    }
    const to = expand(operands[1] ?? '');
    context.stdout([...input].map((character) => (from.includes(character) ? to[Math.min(from.indexOf(character), to.length - 1)] ?? '' : character)).join(''));
    return 0;
  },
  async tee(context) {
    const { flags, operands } = parseOptions(context.args);
    const input = await context.stdin.readAll();
    context.stdout(input);
    let status = 0;
    for (const operand of operands) {
      const error = context.host.fs.write(resolvePath(context, operand), input, { append: flags.has('a') });
      if (error) {
        context.stderr(`tee: ${operand}: ${fsErrorText[error]}\n`);
        status = 1;
      }
    }
    return status;
  },
  async seq(context) {
    const numbers = context.args.map(Number);
    const [first, step, last] = numbers.length === 1 ? [1, 1, numbers[0]] : numbers.length === 2 ? [numbers[0], 1, numbers[1]] : numbers;
    const output: string[] = [];
    for (let value = first; step > 0 ? value <= last : value >= last; value += step) {
      output.push(String(value));
      if (output.length > 100_000) break;
    }
    context.stdout(joinLines(output));
    return 0;
  },
  async base64(context) {
    const { flags, operands } = parseOptions(context.args);
    const input = (await inputs(context, operands))[0]?.content ?? '';
    context.stdout(flags.has('d') ? Buffer.from(input, 'base64').toString() : `${Buffer.from(input).toString('base64')}\n`);
    return 0;
  },
  async md5sum(context) {
    for (const item of await inputs(context, context.args)) if (item.content !== undefined) context.stdout(`${createHash('md5').update(item.content).digest('hex')}  ${item.name}\n`);
    return 0;
  },
  async sha256sum(context) {
    for (const item of await inputs(context, context.args)) if (item.content !== undefined) context.stdout(`${createHash('sha256').update(item.content).digest('hex')}  ${item.name}\n`);
    return 0;
  },
  async basename(context) {
    const [path = '', suffix] = context.args;
    const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
    context.stdout(`${suffix && base.endsWith(suffix) ? base.slice(0, -suffix.length) : base}\n`);
    return 0;
  },
  async dirname(context) {
    const path = (context.args[0] ?? '').replace(/\/+$/, '');
    context.stdout(`${path.includes('/') ? path.slice(0, path.lastIndexOf('/')) || '/' : '.'}\n`);
    return 0;
  },
  async echo(context) {
    let newline = true;
    let escapes = false;
    let index = 0;
    for (; index < context.args.length && /^-[neE]+$/.test(context.args[index]); index++) {
      if (context.args[index].includes('n')) newline = false;
      if (context.args[index].includes('e')) escapes = true;
    }
    const text = context.args.slice(index).join(' ');
    context.stdout(`${escapes ? printfFormat(text.replace(/%/g, '%%'), []) : text}${newline ? '\n' : ''}`);
    return 0;
  },
  async printf(context) {
    context.stdout(printfFormat(context.args[0] ?? '', context.args.slice(1)));
    return 0;
  },
  async test(context) {
    const args = context.command.endsWith('[') ? context.args.slice(0, -1) : context.args;
    const result = evaluateTest(args, context.host, context.cwd);
    if (result.error) context.stderr(`${context.command}: ${result.error}\n`);
    return result.status;
  },
  async yes(context) {
    context.stdout('y\n'.repeat(64));
    return context.host.waitUntilKilled();
  },
};

const systemCommands: Record<string, CommandImplementation> = {
  async env(context) {
    const { operands } = parseOptions(context.args.filter((arg) => arg !== '-i'));
    const env = context.args.includes('-i') ? new Map<string, string>() : new Map(context.env);
    let index = 0;
    for (; index < operands.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(operands[index]); index++) {
      const [name, ...value] = operands[index].split('=');
      env.set(name, value.join('='));
    }
    if (index < operands.length) return context.spawn(operands.slice(index), { env });
    context.stdout([...env].map(([name, value]) => `${name}=${value}\n`).join(''));
    return 0;
  },
  async printenv(context) {
    if (context.args.length === 0) {
      context.stdout([...context.env].map(([name, value]) => `${name}=${value}\n`).join(''));
      return 0;
    }
    const found = context.args.filter((name) => context.env.has(name));
    context.stdout(found.map((name) => `${context.env.get(name)}\n`).join(''));
    return found.length === context.args.length ? 0 : 1;
  },
  async hostname(context) {
    context.stdout(`${context.host.pod.spec?.hostname ?? context.host.pod.metadata.name}\n`);
    return 0;
  },
  async whoami(context) {
    context.stdout(`${context.host.image.definition.user ?? 'root'}\n`);
    return 0;
  },
  async id(context) {
    const user = context.host.image.definition.user;
    context.stdout(user ? `uid=100(${user}) gid=101(${user}) groups=101(${user})\n` : 'uid=0(root) gid=0(root) groups=0(root)\n');
    return 0;
  },
  async pwd(context) {
    context.stdout(`${context.cwd}\n`);
    return 0;
  },
  async true() {
    return 0;
  },
  async false() {
    return 1;
  },
  async date(context) {
    const now = context.host.now();
    const format = context.args.find((arg) => arg.startsWith('+'));
    if (format) {
      const pad = (value: number) => String(value).padStart(2, '0');
      context.stdout(
        `${format.slice(1).replace(/%([sYmdHMSFTz%])/g, (_match, code: string) =>
          ({ s: String(Math.floor(now.getTime() / 1000)), Y: String(now.getUTCFullYear()), m: pad(now.getUTCMonth() + 1), d: pad(now.getUTCDate()), H: pad(now.getUTCHours()), M: pad(now.getUTCMinutes()), S: pad(now.getUTCSeconds()), F: now.toISOString().slice(0, 10), T: now.toISOString().slice(11, 19), z: '+0000', '%': '%' } as Record<string, string>)[code],
        )}\n`,
      );
      return 0;
    }
    context.stdout(`${formatDate(now)}\n`);
    return 0;
  },
  async uname(context) {
    const name = context.host.pod.metadata.name;
    if (context.args.includes('-a')) context.stdout(`Linux ${name} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64 GNU/Linux\n`);
    else if (context.args.includes('-r')) context.stdout('6.1.0-28-amd64\n');
    else if (context.args.includes('-m')) context.stdout('x86_64\n');
    else if (context.args.includes('-n')) context.stdout(`${name}\n`);
    else context.stdout('Linux\n');
    return 0;
  },
  async ps(context) {
    const user = context.host.image.definition.user ?? 'root';
    const busybox = isBusybox(context.host);
    const main = mainCommandLine(context.host);
    context.stdout(
      busybox
        ? `PID   USER     TIME  COMMAND\n    1 ${user.padEnd(8)}  0:00 ${main}\n   42 ${user.padEnd(8)}  0:00 ps ${context.args.join(' ')}`.trimEnd() + '\n'
        : `    PID TTY          TIME CMD\n      1 ?        00:00:00 ${main.split(' ')[0].split('/').pop()}\n     42 ?        00:00:00 ps\n`,
    );
    return 0;
  },
  async kill(context) {
    if (context.args.some((arg) => /^1$/.test(arg))) {
      // PID 1 in a container ignores signals it has no handler for, so `kill 1` from exec changes nothing.
      return 0;
    }
    return 0;
  },
  async timeout(context) {
    const { operands } = parseOptions(context.args, ['s', 'k']);
    const seconds = parseDuration(operands[0] ?? '');
    if (seconds === undefined || operands.length < 2) {
      context.stderr(`timeout: invalid time interval '${operands[0] ?? ''}'\n`);
      return 125;
    }
    let timedOut = false;
    const gate = (sink: (text: string) => void) => (text: string) => {
      if (!timedOut) sink(text);
    };
    const child = context.spawn(operands.slice(1), { stdout: gate(context.stdout), stderr: gate(context.stderr) });
    const timer = context.host.sleep(seconds).then(() => 'timeout' as const);
    const result = await Promise.race([child, timer]);
    if (result === 'timeout') {
      timedOut = true;
      child.catch(() => undefined);
      return isBusybox(context.host) ? 143 : 124;
    }
    timer.catch(() => undefined);
    return result;
  },
  async xargs(context) {
    const words = (await context.stdin.readAll()).split(/\s+/).filter(Boolean);
    const command = context.args.length ? context.args : ['echo'];
    return context.spawn([...command, ...words]);
  },
  async which(context) {
    let status = 0;
    for (const name of context.args) {
      if (context.host.binaries.has(name)) context.stdout(`/usr/bin/${name}\n`);
      else status = 1;
    }
    return status;
  },
  async df(context) {
    context.stdout('Filesystem           1K-blocks      Used Available Use% Mounted on\noverlay               98831908  21745224  72033224  23% /\ntmpfs                    65536         0     65536   0% /dev\n');
    for (const mount of context.host.fs.mounts()) context.stdout(`/dev/sda1             98831908  21745224  72033224  23% ${mount.mountPath}\n`);
    return 0;
  },
  async du(context) {
    const { operands } = parseOptions(context.args);
    for (const operand of operands.length ? operands : ['.']) {
      const node = context.host.fs.stat(resolvePath(context, operand));
      context.stdout(`${node ? Math.max(4, Math.ceil(Buffer.byteLength(node.content) / 1024)) : 0}\t${operand}\n`);
    }
    return 0;
  },
  async free(context) {
    const limitKiB = Math.round(context.host.memoryLimit / 1024);
    context.stdout(`              total        used        free      shared  buff/cache   available\nMem:       ${String(limitKiB).padStart(8)}     ${String(Math.round(limitKiB / 10)).padStart(7)}     ${String(Math.round((limitKiB * 8) / 10)).padStart(7)}           0       10240     ${String(Math.round((limitKiB * 8) / 10)).padStart(7)}\nSwap:             0           0           0\n`);
    return 0;
  },
  async uptime(context) {
    context.stdout(` ${context.host.now().toISOString().slice(11, 19)} up 3 days,  4:12,  0 users,  load average: 0.08, 0.12, 0.10\n`);
    return 0;
  },
  async nproc(context) {
    context.stdout('2\n');
    return 0;
  },
};

export const coreCommands: Record<string, CommandImplementation> = { ...textCommands, ...fileCommands, ...systemCommands, '[': textCommands.test };
