import { absolutePath, fsErrorText, type FsError } from '../container-filesystem.ts';
import { emptyInput, ProcessKilled, stringInput, type ContainerHost, type InputSource, type OutputSink } from '../process-types.ts';
import { evaluateArithmetic } from './shell-arithmetic.ts';
import { parseShell, ShellSyntaxError, type AndOr, type Command, type Pipeline, type Redirect, type Script, type SimpleCommand, type Word } from './shell-parser.ts';

/** Runs a program by argv (builtins are the shell's business; this is everything on PATH or on disk). */
export type ProgramRunner = (argv: string[], io: ShellIo, env: Map<string, string>, cwd: string) => Promise<number>;

export interface ShellIo {
  stdin: InputSource;
  stdout: OutputSink;
  stderr: OutputSink;
}

/** A program that is not on PATH or on disk, or not executable. */
export class ProgramNotFound extends Error {
  constructor(
    public readonly program: string,
    public readonly kind: 'missing' | 'permission' | 'directory',
  ) {
    super(`${program}: ${kind}`);
  }
}

class ShellExit extends Error {
  constructor(public readonly status: number) {
    super(`exit ${status}`);
  }
}

class LoopControl extends Error {
  constructor(
    public readonly kind: 'break' | 'continue',
    public readonly levels: number,
  ) {
    super(kind);
  }
}

export interface ShellOptions {
  host: ContainerHost;
  run: ProgramRunner;
  /** $0: sh, bash, /bin/sh … */
  name: string;
  positional?: string[];
  env: Map<string, string>;
  cwd: string;
}

function formatEscapes(text: string): string {
  return text.replace(/\\(0[0-7]{0,3}|[abcefnrtv\\])/g, (_match, code: string) => {
    if (code.startsWith('0')) return String.fromCharCode(parseInt(code.slice(1) || '0', 8));
    return ({ a: '\x07', b: '\b', c: '', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' } as Record<string, string>)[code];
  });
}

/** `printf FORMAT ARGS…`, reusing the format while arguments remain, as the shell builtin does. */
export function printfFormat(format: string, args: string[]): string {
  let output = '';
  let index = 0;
  do {
    let consumed = false;
    output += formatEscapes(format).replace(/%([-0 #+]*\d*(?:\.\d+)?)([sdifxXcbou%])/g, (_match, flags: string, conversion: string) => {
      if (conversion === '%') return '%';
      consumed = true;
      const value = args[index++] ?? '';
      const width = Number(/\d+/.exec(flags.split('.')[0])?.[0] ?? 0);
      const pad = (text: string) => (flags.includes('-') ? text.padEnd(width) : text.padStart(width, flags.includes('0') && !/[sc]/.test(conversion) ? '0' : ' '));
      switch (conversion) {
        case 'd':
        case 'i':
          return pad(String(Math.trunc(Number(value) || 0)));
        case 'f': {
          const precision = Number(/\.(\d+)/.exec(flags)?.[1] ?? 6);
          return pad((Number(value) || 0).toFixed(precision));
        }
        case 'x':
          return pad((Math.trunc(Number(value)) || 0).toString(16));
        case 'X':
          return pad((Math.trunc(Number(value)) || 0).toString(16).toUpperCase());
        case 'o':
          return pad((Math.trunc(Number(value)) || 0).toString(8));
        case 'c':
          return value.slice(0, 1);
        case 'b':
          return formatEscapes(value);
        default:
          return pad(value);
      }
    });
    if (!consumed) break;
  } while (index < args.length);
  return output;
}

function globToRegExp(pattern: string, anchored = true): RegExp {
  let source = '';
  for (const character of pattern) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${source}$` : source);
}

/** `test` / `[`: file tests, string and integer comparisons, `!`, `-a`, `-o`. */
export function evaluateTest(args: string[], host: ContainerHost, cwd: string): { status: number; error?: string } {
  const unary = (operator: string, operand: string): boolean | undefined => {
    const node = () => host.fs.stat(absolutePath(operand, cwd));
    switch (operator) {
      case '-z':
        return operand.length === 0;
      case '-n':
        return operand.length > 0;
      case '-e':
        return Boolean(node());
      case '-f':
        return node()?.type === 'file';
      case '-d':
        return node()?.type === 'dir';
      case '-s':
        return Boolean(node()?.content.length);
      case '-r':
      case '-w':
        return Boolean(node());
      case '-x':
        return Boolean(node() && (node()!.type === 'dir' || node()!.mode & 0o111));
      case '-L':
      case '-h':
        return false;
      default:
        return undefined;
    }
  };
  const binary = (left: string, operator: string, right: string): boolean | undefined => {
    const number = (value: string) => {
      if (!/^\s*-?\d+\s*$/.test(value)) throw new Error(`${value}: bad number`);
      return Number(value);
    };
    switch (operator) {
      case '=':
      case '==':
        return left === right;
      case '!=':
        return left !== right;
      case '-eq':
        return number(left) === number(right);
      case '-ne':
        return number(left) !== number(right);
      case '-gt':
        return number(left) > number(right);
      case '-ge':
        return number(left) >= number(right);
      case '-lt':
        return number(left) < number(right);
      case '-le':
        return number(left) <= number(right);
      default:
        return undefined;
    }
  };
  const evaluate = (terms: string[]): boolean => {
    const orIndex = terms.indexOf('-o');
    if (orIndex > 0) return evaluate(terms.slice(0, orIndex)) || evaluate(terms.slice(orIndex + 1));
    const andIndex = terms.indexOf('-a');
    if (andIndex > 0) return evaluate(terms.slice(0, andIndex)) && evaluate(terms.slice(andIndex + 1));
    if (terms[0] === '!') return !evaluate(terms.slice(1));
    if (terms[0] === '(' && terms.at(-1) === ')') return evaluate(terms.slice(1, -1));
    if (terms.length === 0) return false;
    if (terms.length === 1) return terms[0].length > 0;
    if (terms.length === 2) {
      const result = unary(terms[0], terms[1]);
      if (result === undefined) throw new Error(`${terms[0]}: unary operator expected`);
      return result;
    }
    if (terms.length === 3) {
      const result = binary(terms[0], terms[1], terms[2]);
      if (result === undefined) throw new Error(`${terms[1]}: binary operator expected`);
      return result;
    }
    throw new Error('too many arguments');
  };
  try {
    return { status: evaluate(args) ? 0 : 1 };
  } catch (error) {
    return { status: 2, error: (error as Error).message };
  }
}

/**
 * The shell: variables, expansion, redirects, pipes (buffered: each stage finishes before the next reads),
 * control flow and the builtins; every other command goes to `run`. Messages follow busybox ash, Debian's
 * dash or bash, depending on the image.
 */
export class Shell {
  readonly variables = new Map<string, string>();
  readonly exported = new Set<string>();
  status = 0;
  cwd: string;
  private positional: string[];
  private errexit = false;
  private background: Array<Promise<number>> = [];
  private lastBackgroundPid = 0;
  private nextPid = 40;

  constructor(private readonly options: ShellOptions) {
    for (const [name, value] of options.env) {
      this.variables.set(name, value);
      this.exported.add(name);
    }
    this.cwd = options.cwd;
    this.positional = options.positional ?? [];
  }

  get host(): ContainerHost {
    return this.options.host;
  }

  /** The shell's error prefix: `sh: `, `sh: 1: ` (dash) or `bash: line 1: `. */
  private prefix(): string {
    const name = this.options.name.split('/').pop() ?? 'sh';
    if (this.host.shellFlavor === 'dash') return `${name}: 1: `;
    if (this.host.shellFlavor === 'bash') return `${name}: line 1: `;
    return `${name}: `;
  }

  environment(): Map<string, string> {
    const env = new Map<string, string>();
    for (const name of this.exported) {
      const value = this.variables.get(name);
      if (value !== undefined) env.set(name, value);
    }
    return env;
  }

  /** Parses and runs a script; syntax errors print like the shell's and return 2. */
  async runSource(source: string, io: ShellIo): Promise<number> {
    let script: Script;
    try {
      script = parseShell(source);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      io.stderr(`${this.prefix()}${error.message}\n`);
      return 2;
    }
    return this.runTopLevel(script, io);
  }

  /** One chunk of an interactive session: `exited` when it ran `exit`. */
  async runTopLevelSource(source: string, io: ShellIo): Promise<{ exited: boolean; code: number }> {
    let script: Script;
    try {
      script = parseShell(source);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      io.stderr(`${this.prefix()}${error.message}\n`);
      this.status = 2;
      return { exited: false, code: 2 };
    }
    try {
      await this.runScript(script, io);
      return { exited: false, code: this.status };
    } catch (error) {
      if (error instanceof ShellExit) return { exited: true, code: error.status };
      if (error instanceof LoopControl) return { exited: false, code: this.status };
      throw error;
    }
  }

  async runTopLevel(script: Script, io: ShellIo): Promise<number> {
    try {
      return await this.runScript(script, io);
    } catch (error) {
      if (error instanceof ShellExit) return error.status;
      if (error instanceof LoopControl) return this.status;
      throw error;
    }
  }

  async runScript(script: Script, io: ShellIo, condition = false): Promise<number> {
    for (const item of script) await this.runAndOr(item, io, condition);
    return this.status;
  }

  private async runAndOr(item: AndOr, io: ShellIo, condition: boolean): Promise<void> {
    if (item.background) {
      const pid = this.nextPid++;
      this.lastBackgroundPid = pid;
      const job = this.runAndOrNow({ ...item, background: false }, io, true).then(
        () => this.status,
        (error) => {
          if (error instanceof ShellExit) return error.status;
          if (error instanceof ProcessKilled) return 137;
          throw error;
        },
      );
      job.catch(() => undefined);
      this.background.push(job);
      this.status = 0;
      return;
    }
    await this.runAndOrNow(item, io, condition);
  }

  private async runAndOrNow(item: AndOr, io: ShellIo, condition: boolean): Promise<void> {
    let status = await this.runPipeline(item.first, io, condition || item.rest.length > 0);
    for (let index = 0; index < item.rest.length; index++) {
      const { operator, pipeline } = item.rest[index];
      if ((operator === '&&' && status !== 0) || (operator === '||' && status === 0)) continue;
      status = await this.runPipeline(pipeline, io, condition || index < item.rest.length - 1);
    }
    this.status = status;
  }

  private async runPipeline(pipeline: Pipeline, io: ShellIo, condition: boolean): Promise<number> {
    let status = 0;
    let input = io.stdin;
    for (let index = 0; index < pipeline.commands.length; index++) {
      const last = index === pipeline.commands.length - 1;
      if (last) {
        status = await this.runCommand(pipeline.commands[index], { ...io, stdin: input });
      } else {
        let buffer = '';
        await this.runCommand(pipeline.commands[index], { ...io, stdin: input, stdout: (text) => (buffer += text) });
        input = stringInput(buffer);
      }
    }
    if (pipeline.negated) status = status === 0 ? 1 : 0;
    this.status = status;
    if (this.errexit && status !== 0 && !condition && !pipeline.negated) throw new ShellExit(status);
    return status;
  }

  private async runCommand(command: Command, io: ShellIo): Promise<number> {
    if (command.type === 'simple') return this.runSimple(command, io);
    const redirected = await this.applyRedirects(command.redirects, io);
    if (typeof redirected === 'number') return redirected;
    try {
      switch (command.type) {
        case 'if': {
          for (const clause of command.clauses) {
            if ((await this.runScript(clause.condition, redirected.io, true)) === 0) return await this.runScript(clause.body, redirected.io);
          }
          if (command.otherwise) return await this.runScript(command.otherwise, redirected.io);
          this.status = 0;
          return 0;
        }
        case 'loop': {
          let status = 0;
          for (;;) {
            const result = await this.runScript(command.condition, redirected.io, true);
            if (command.until ? result === 0 : result !== 0) break;
            try {
              status = await this.runScript(command.body, redirected.io);
            } catch (error) {
              if (!(error instanceof LoopControl)) throw error;
              if (error.levels > 1) throw new LoopControl(error.kind, error.levels - 1);
              if (error.kind === 'break') break;
            }
            // A loop with nothing that waits would spin forever without yielding: let timers and I/O run.
            // Through the container's clock, so a killed container (or a closed cluster) stops the loop.
            await this.host.sleepMs(0);
          }
          this.status = status;
          return status;
        }
        case 'for': {
          const items = command.items ? (await Promise.all(command.items.map((word) => this.expandWord(word, redirected.io)))).flat() : this.positional;
          let status = 0;
          for (const item of items) {
            this.variables.set(command.variable, item);
            try {
              status = await this.runScript(command.body, redirected.io);
            } catch (error) {
              if (!(error instanceof LoopControl)) throw error;
              if (error.levels > 1) throw new LoopControl(error.kind, error.levels - 1);
              if (error.kind === 'break') break;
            }
          }
          this.status = status;
          return status;
        }
        case 'group': {
          if (!command.subshell) return await this.runScript(command.body, redirected.io);
          const subshell = this.fork();
          const status = await subshell.runTopLevel(command.body, redirected.io);
          this.status = status;
          return status;
        }
      }
    } finally {
      redirected.close();
    }
  }

  /** A copy of this shell for `( … )` and `$( … )`: changes inside do not leak out. */
  fork(): Shell {
    const child = new Shell({ ...this.options, env: new Map(), cwd: this.cwd, positional: [...this.positional] });
    for (const [name, value] of this.variables) child.variables.set(name, value);
    for (const name of this.exported) child.exported.add(name);
    child.status = this.status;
    return child;
  }

  private async runSimple(command: SimpleCommand, io: ShellIo): Promise<number> {
    const words: string[] = [];
    for (const word of command.words) words.push(...(await this.expandWord(word, io)));
    const assignments: Array<[string, string]> = [];
    for (const assignment of command.assignments) assignments.push([assignment.name, (await this.expandWord(assignment.value, io, { split: false })).join('')]);
    const redirected = await this.applyRedirects(command.redirects, io);
    if (typeof redirected === 'number') return (this.status = redirected);
    try {
      if (words.length === 0) {
        for (const [name, value] of assignments) this.variables.set(name, value);
        return (this.status = 0);
      }
      const status = await this.invoke(words, assignments, redirected.io);
      this.status = status;
      return status;
    } finally {
      redirected.close();
    }
  }

  private async invoke(words: string[], assignments: Array<[string, string]>, io: ShellIo): Promise<number> {
    const [name, ...args] = words;
    const builtin = await this.builtin(name, args, io, assignments);
    if (builtin !== undefined) return builtin;
    const env = this.environment();
    for (const [key, value] of assignments) env.set(key, value);
    try {
      return await this.options.run(words, io, env, this.cwd);
    } catch (error) {
      if (!(error instanceof ProgramNotFound)) throw error;
      return this.reportNotFound(error, io);
    }
  }

  reportNotFound(error: ProgramNotFound, io: ShellIo): number {
    const program = error.program;
    if (error.kind === 'permission' || error.kind === 'directory') {
      const text = error.kind === 'directory' ? (this.host.shellFlavor === 'bash' ? 'Is a directory' : 'Permission denied') : 'Permission denied';
      io.stderr(`${this.prefix()}${program}: ${text}\n`);
      return 126;
    }
    io.stderr(this.host.shellFlavor === 'bash' ? `${this.prefix()}${program}: command not found\n` : `${this.prefix()}${program}: not found\n`);
    return 127;
  }

  /** Builtins of ash/dash/bash that matter in scripts; undefined when `name` is not one. */
  private async builtin(name: string, args: string[], io: ShellIo, assignments: Array<[string, string]>): Promise<number | undefined> {
    switch (name) {
      case ':':
      case 'true':
        return 0;
      case 'false':
        return 1;
      case 'exit': {
        const status = args[0] === undefined ? this.status : Number(args[0]);
        if (Number.isNaN(status)) {
          io.stderr(`${this.prefix()}exit: Illegal number: ${args[0]}\n`);
          throw new ShellExit(2);
        }
        throw new ShellExit(status & 255);
      }
      case 'return':
        throw new ShellExit(args[0] === undefined ? this.status : Number(args[0]) & 255);
      case 'break':
      case 'continue':
        throw new LoopControl(name, Number(args[0] ?? 1) || 1);
      case 'echo': {
        let newline = true;
        let escapes = this.host.shellFlavor === 'dash';
        let index = 0;
        for (; index < args.length; index++) {
          const flag = args[index];
          if (!/^-[neE]+$/.test(flag) || (this.host.shellFlavor === 'dash' && flag !== '-n')) break;
          if (flag.includes('n')) newline = false;
          if (flag.includes('e')) escapes = true;
          if (flag.includes('E')) escapes = false;
        }
        const text = args.slice(index).join(' ');
        io.stdout(`${escapes ? formatEscapes(text) : text}${newline ? '\n' : ''}`);
        return 0;
      }
      case 'printf':
        if (args.length === 0) {
          io.stderr(`${this.prefix()}printf: usage: printf format [arguments]\n`);
          return 2;
        }
        io.stdout(printfFormat(args[0], args.slice(1)));
        return 0;
      case 'test':
      case '[': {
        let terms = args;
        if (name === '[') {
          if (terms.at(-1) !== ']') {
            io.stderr(`${this.prefix()}[: missing ]\n`);
            return 2;
          }
          terms = terms.slice(0, -1);
        }
        const result = evaluateTest(terms, this.host, this.cwd);
        if (result.error) io.stderr(`${this.prefix()}${name}: ${result.error}\n`);
        return result.status;
      }
      case 'cd': {
        const target = absolutePath(args[0] === undefined || args[0] === '~' ? this.variables.get('HOME') ?? '/' : args[0] === '-' ? this.variables.get('OLDPWD') ?? this.cwd : args[0], this.cwd);
        const node = this.host.fs.stat(target);
        if (!node || node.type !== 'dir') {
          io.stderr(this.host.shellFlavor === 'bash' ? `${this.prefix()}cd: ${args[0]}: ${node ? 'Not a directory' : 'No such file or directory'}\n` : `${this.prefix()}cd: can't cd to ${args[0]}${this.host.shellFlavor === 'ash' ? `: ${node ? 'Not a directory' : 'No such file or directory'}` : ''}\n`);
          return this.host.shellFlavor === 'bash' ? 1 : 2;
        }
        this.variables.set('OLDPWD', this.cwd);
        this.cwd = target;
        this.variables.set('PWD', target);
        return 0;
      }
      case 'pwd':
        io.stdout(`${this.cwd}\n`);
        return 0;
      case 'export':
      case 'readonly':
        for (const arg of args.filter((item) => !item.startsWith('-'))) {
          const equals = arg.indexOf('=');
          const key = equals >= 0 ? arg.slice(0, equals) : arg;
          if (equals >= 0) this.variables.set(key, arg.slice(equals + 1));
          if (name === 'export') this.exported.add(key);
        }
        if (args.length === 0) for (const key of [...this.exported].sort()) io.stdout(`export ${key}='${this.variables.get(key) ?? ''}'\n`);
        return 0;
      case 'unset':
        for (const arg of args.filter((item) => !item.startsWith('-'))) {
          this.variables.delete(arg);
          this.exported.delete(arg);
        }
        return 0;
      case 'set':
        for (const arg of args) {
          if (arg === '-e' || (arg.startsWith('-') && arg.includes('e') && !arg.startsWith('--'))) this.errexit = true;
          if (arg === '+e') this.errexit = false;
        }
        if (args[0] === '--') this.positional = args.slice(1);
        if (args.length === 0) for (const [key, value] of [...this.variables].sort()) io.stdout(`${key}='${value}'\n`);
        return 0;
      case 'shift':
        this.positional = this.positional.slice(Number(args[0] ?? 1));
        return 0;
      case 'trap':
      case 'ulimit':
      case 'umask':
      case 'hash':
        return 0;
      case 'wait': {
        const jobs = this.background.splice(0);
        let status = 0;
        for (const job of jobs) status = await job;
        return status;
      }
      case 'read': {
        const names = args.filter((item) => !item.startsWith('-'));
        const line = await io.stdin.readLine();
        if (line === undefined) return 1;
        const fields = line.trim().split(/\s+/);
        names.forEach((variable, index) => this.variables.set(variable, index === names.length - 1 ? fields.slice(index).join(' ') : fields[index] ?? ''));
        if (names.length === 0) this.variables.set('REPLY', line);
        return 0;
      }
      case 'eval':
        return this.runScript(parseShell(args.join(' ')), io);
      case '.':
      case 'source': {
        const file = this.host.fs.read(absolutePath(args[0] ?? '', this.cwd));
        if ('error' in file) {
          io.stderr(`${this.prefix()}${name}: can't open '${args[0]}': ${fsErrorText[file.error]}\n`);
          return 2;
        }
        return this.runScript(parseShell(file.content), io);
      }
      case 'exec': {
        if (args.length === 0) return 0;
        // The shell is replaced by the program: whatever it returns is the shell's exit status.
        const status = await this.invoke(args, assignments, io);
        throw new ShellExit(status);
      }
      case 'command':
      case 'type':
      case 'which': {
        if (name === 'command' && args[0] !== '-v' && args[0] !== '-V') return this.invoke(args, assignments, io);
        const targets = name === 'command' ? args.slice(1) : args;
        let status = 0;
        for (const target of targets) {
          const builtins = ['echo', 'printf', 'test', '[', 'cd', 'pwd', 'export', 'exit', 'read', 'set', 'true', 'false'];
          if (builtins.includes(target) && name !== 'which') io.stdout(name === 'type' ? `${target} is a shell builtin\n` : `${target}\n`);
          else if (this.host.binaries.has(target)) io.stdout(name === 'type' ? `${target} is /usr/bin/${target}\n` : `/usr/bin/${target}\n`);
          else {
            status = 1;
            if (name === 'type') io.stdout(`${target}: not found\n`);
          }
        }
        return status;
      }
      default:
        return undefined;
    }
  }

  /** Opens redirect targets; returns an exit status when one cannot be opened (the command does not run). */
  private async applyRedirects(redirects: Redirect[], io: ShellIo): Promise<{ io: ShellIo; close: () => void } | number> {
    if (redirects.length === 0) return { io, close: () => {} };
    const next: ShellIo = { ...io };
    const closers: Array<() => void> = [];
    for (const redirect of redirects) {
      const target = (await this.expandWord(redirect.target, io, { split: false })).join('');
      if (redirect.operator === '<<<') {
        next.stdin = stringInput(`${target}\n`);
        continue;
      }
      if (redirect.operator === '>&') {
        const sink = target === '2' ? next.stderr : target === '1' ? next.stdout : undefined;
        if (redirect.fd === 2 && sink) next.stderr = sink;
        else if (redirect.fd === 1 && sink) next.stdout = sink;
        continue;
      }
      const path = absolutePath(target, this.cwd);
      if (redirect.operator === '<') {
        const file = this.host.fs.read(path);
        if (path === '/dev/null') {
          next.stdin = emptyInput;
          continue;
        }
        if ('error' in file) {
          io.stderr(this.openError(target, file.error, 'open'));
          return this.host.shellFlavor === 'ash' ? 1 : 2;
        }
        next.stdin = stringInput(file.content);
        continue;
      }
      const special = path === '/dev/stdout' || path === '/proc/self/fd/1' ? io.stdout : path === '/dev/stderr' || path === '/proc/self/fd/2' ? io.stderr : undefined;
      const sink = special ? { write: special, close: () => {} } : this.fileSink(path, redirect.operator === '>>');
      if (typeof sink === 'string') {
        io.stderr(this.openError(target, sink, 'create'));
        return this.host.shellFlavor === 'ash' ? 1 : 2;
      }
      closers.push(sink.close);
      if (redirect.fd === -1) {
        next.stdout = sink.write;
        next.stderr = sink.write;
      } else if (redirect.fd === 2) next.stderr = sink.write;
      else next.stdout = sink.write;
    }
    return { io: next, close: () => closers.forEach((close) => close()) };
  }

  private openError(target: string, error: FsError, verb: 'open' | 'create'): string {
    const text = fsErrorText[error];
    if (this.host.shellFlavor === 'bash') return `${this.prefix()}${target}: ${text}\n`;
    if (this.host.shellFlavor === 'dash') return `${this.prefix()}cannot ${verb} ${target}: ${text === 'No such file or directory' ? 'Directory nonexistent' : text}\n`;
    return verb === 'open' ? `${this.prefix()}can't open '${target}': ${text}\n` : `${this.prefix()}can't create ${target}: ${text}\n`;
  }

  /** A writer for `> file`: special files first, then the container filesystem (written as output arrives). */
  private fileSink(path: string, append: boolean): { write: OutputSink; close: () => void } | FsError {
    if (path === '/dev/null') return { write: () => {}, close: () => {} };
    if (path === '/proc/1/fd/1' || path === '/proc/1/fd/2') return { write: this.host.mainOutput, close: () => {} };
    const fs = this.host.fs;
    const error = fs.write(path, '', { append: true });
    if (error) return error;
    if (!append) fs.write(path, '');
    return { write: (text) => void fs.write(path, text, { append: true }), close: () => {} };
  }

  /** Expands one word into fields: variables, command substitution, arithmetic, field splitting, globs. */
  async expandWord(word: Word, io: ShellIo, options: { split?: boolean } = {}): Promise<string[]> {
    const split = options.split ?? true;
    const fields: string[] = [];
    let current = '';
    let hasContent = false;
    let globbable = false;
    const pushSplit = (text: string) => {
      const pieces = text.split(/[ \t\n]+/);
      pieces.forEach((piece, index) => {
        if (index > 0) {
          if (hasContent || current) fields.push(current);
          current = '';
          hasContent = false;
        }
        current += piece;
        if (piece) hasContent = true;
      });
    };
    for (const part of word) {
      let text: string;
      switch (part.kind) {
        case 'literal':
          text = part.text;
          if (!part.quoted && /[*?]/.test(text)) globbable = true;
          if (!part.quoted && current === '' && !hasContent && text.startsWith('~')) text = text.replace(/^~(?=\/|$)/, this.variables.get('HOME') ?? '/root');
          current += text;
          if (part.quoted || text) hasContent = true;
          continue;
        case 'variable':
          if (part.name === '@' && part.quoted && split) {
            this.positional.forEach((value, index) => {
              if (index > 0) {
                fields.push(current);
                current = '';
              }
              current += value;
              hasContent = true;
            });
            continue;
          }
          text = await this.expandVariable(part.name, part.operator, part.argument, io);
          break;
        case 'command': {
          let output = '';
          const subshell = this.fork();
          const status = await subshell.runTopLevel(part.script, { ...io, stdout: (chunk) => (output += chunk) });
          this.status = status;
          text = output.replace(/\n+$/, '');
          break;
        }
        case 'arithmetic': {
          const expanded = (await this.expandWord([{ kind: 'literal', text: '', quoted: true }, ...parseArithmeticWord(part.expression)], io, { split: false })).join('');
          try {
            text = String(evaluateArithmetic(expanded, (name) => Number(this.variables.get(name) ?? 0) || 0, (name, value) => this.variables.set(name, String(value))));
          } catch (error) {
            io.stderr(`${this.prefix()}${(error as Error).message}\n`);
            throw new ShellExit(2);
          }
          break;
        }
      }
      if (part.quoted || !split) {
        current += text;
        hasContent = true;
      } else pushSplit(text);
    }
    if (hasContent || current) fields.push(current);
    if (!globbable || !split) return fields;
    return fields.flatMap((field) => this.glob(field));
  }

  private glob(pattern: string): string[] {
    if (!/[*?]/.test(pattern)) return [pattern];
    const absolute = pattern.startsWith('/');
    const path = absolutePath(pattern, this.cwd);
    const slash = path.lastIndexOf('/');
    const directory = path.slice(0, slash) || '/';
    const matcher = globToRegExp(path.slice(slash + 1));
    const listing = this.host.fs.list(directory);
    if ('error' in listing) return [pattern];
    const matches = listing.names.filter((name) => !name.startsWith('.') && matcher.test(name));
    if (matches.length === 0) return [pattern];
    const prefix = absolute ? (directory === '/' ? '/' : `${directory}/`) : pattern.slice(0, pattern.lastIndexOf('/') + 1);
    return matches.map((name) => `${prefix}${name}`);
  }

  private async expandVariable(name: string, operator: string | undefined, argument: Word | undefined, io: ShellIo): Promise<string> {
    let value: string | undefined;
    if (name.startsWith('#') && name.length > 1) {
      const inner = name.slice(1);
      return String(inner === '@' || inner === '*' ? this.positional.length : (this.lookup(inner) ?? '').length);
    }
    value = this.lookup(name);
    if (!operator) return value ?? '';
    const word = async () => (await this.expandWord(argument ?? [], io, { split: false })).join('');
    const unset = operator.startsWith(':') ? !value : value === undefined;
    switch (operator.replace(':', '')) {
      case '-':
        return unset ? word() : value!;
      case '=':
        if (unset) this.variables.set(name, await word());
        return this.variables.get(name) ?? '';
      case '+':
        return unset ? '' : word();
      case '?':
        if (unset) {
          const message = (await word()) || 'parameter not set';
          io.stderr(`${this.prefix()}${name}: ${message}\n`);
          throw new ShellExit(this.host.shellFlavor === 'ash' ? 1 : 2);
        }
        return value!;
      case '#':
      case '##': {
        const pattern = await word();
        const text = value ?? '';
        for (let length = operator === '#' ? 0 : text.length; operator === '#' ? length <= text.length : length >= 0; length += operator === '#' ? 1 : -1) {
          if (globToRegExp(pattern).test(text.slice(0, length))) return text.slice(length);
        }
        return text;
      }
      case '%':
      case '%%': {
        const pattern = await word();
        const text = value ?? '';
        for (let start = operator === '%' ? text.length : 0; operator === '%' ? start >= 0 : start <= text.length; start += operator === '%' ? -1 : 1) {
          if (globToRegExp(pattern).test(text.slice(start))) return text.slice(0, start);
        }
        return text;
      }
      default:
        return value ?? '';
    }
  }

  private lookup(name: string): string | undefined {
    switch (name) {
      case '?':
        return String(this.status);
      case '$':
        return this.host.isMain ? '1' : '37';
      case '!':
        return this.lastBackgroundPid ? String(this.lastBackgroundPid) : '';
      case '#':
        return String(this.positional.length);
      case '@':
      case '*':
        return this.positional.join(' ');
      case '0':
        return this.options.name;
      default:
        if (/^\d$/.test(name)) return this.positional[Number(name) - 1];
        return this.variables.get(name);
    }
  }
}

/** `$((i + $j))`: variables inside arithmetic are plain names or `$name`; `$name` is expanded first. */
function parseArithmeticWord(expression: string): Word {
  const parts: Word = [];
  let last = 0;
  for (const match of expression.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
    parts.push({ kind: 'literal', text: expression.slice(last, match.index), quoted: true });
    parts.push({ kind: 'variable', name: match[1], quoted: true });
    last = match.index! + match[0].length;
  }
  parts.push({ kind: 'literal', text: expression.slice(last), quoted: true });
  return parts;
}
