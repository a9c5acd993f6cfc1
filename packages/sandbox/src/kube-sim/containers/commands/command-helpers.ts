import { absolutePath, fsErrorText } from '../container-filesystem.ts';
import type { ContainerHost, ProcessContext } from '../process-types.ts';

/** busybox applets print other messages than GNU coreutils; the userland decides which. */
export function isBusybox(host: ContainerHost): boolean {
  return host.image.definition.userland === 'busybox' || host.image.definition.userland === 'alpine';
}

export function resolvePath(context: ProcessContext, path: string): string {
  return absolutePath(path, context.cwd);
}

/** A file's content, or an error message already printed (`cat: can't open 'x': No such file…`). */
export function readFileOrReport(context: ProcessContext, path: string, program = context.command.split('/').pop()!): string | undefined {
  const absolute = resolvePath(context, path);
  if (absolute === '/dev/null') return '';
  const file = context.host.fs.read(absolute);
  if ('error' in file) {
    context.stderr(isBusybox(context.host) ? `${program}: can't open '${path}': ${fsErrorText[file.error]}\n` : `${program}: ${path}: ${fsErrorText[file.error]}\n`);
    return undefined;
  }
  return file.content;
}

/** Short options (`-la`, `-n 5`, `-n5`) and operands; options listed in `withValue` take an argument. */
export function parseOptions(args: string[], withValue: string[] = []): { flags: Set<string>; values: Map<string, string>; operands: string[] } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--') {
      operands.push(...args.slice(index + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const [name, value] = arg.slice(2).split('=', 2);
      if (withValue.includes(`--${name}`) && value === undefined) values.set(`--${name}`, args[++index] ?? '');
      else if (value !== undefined) values.set(`--${name}`, value);
      else flags.add(`--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d+$/.test(arg)) {
      for (let position = 1; position < arg.length; position++) {
        const flag = arg[position];
        if (withValue.includes(flag)) {
          const rest = arg.slice(position + 1);
          values.set(flag, rest || (args[++index] ?? ''));
          break;
        }
        flags.add(flag);
      }
      continue;
    }
    operands.push(arg);
  }
  return { flags, values, operands };
}

/** `10`, `10s`, `2m`, `infinity` → seconds. */
export function parseDuration(text: string): number | undefined {
  if (text === 'infinity' || text === 'inf') return Number.POSITIVE_INFINITY;
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[match[2]];
}

/** `1M`, `512k`, `250M`, `1G` (dd, stress and head -c sizes) → bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([bkKmMgGtT]?)([bB]?)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const unit = match[2].toLowerCase();
  const factor = unit === 'b' ? 512 : unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  return Math.round(Number(match[1]) * factor);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)}G`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)}M`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return String(bytes);
}

/** The date format `date` prints by default: `Tue Jan 14 10:00:00 UTC 2025`. */
export function formatDate(now: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const time = now.toISOString().slice(11, 19);
  return `${days[now.getUTCDay()]} ${months[now.getUTCMonth()]} ${String(now.getUTCDate()).padStart(2, ' ')} ${time} UTC ${now.getUTCFullYear()}`;
}

/** The main process's command line as `ps` shows it. */
export function mainCommandLine(host: ContainerHost): string {
  const spec = host.spec ?? {};
  const definition = host.image.definition;
  const entry: string[] = spec.command ?? definition.entrypoint ?? [];
  const args: string[] = spec.command ? spec.args ?? [] : spec.args ?? definition.cmd ?? [];
  const argv = [...entry, ...args];
  if (definition.kind === 'nginx' && !spec.command && !spec.args) return 'nginx: master process nginx -g daemon off;';
  return argv.join(' ') || 'sh';
}
