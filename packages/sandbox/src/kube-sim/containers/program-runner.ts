import { coreCommands } from './commands/core-commands.ts';
import { networkCommands } from './commands/network-commands.ts';
import { serverCommands } from './commands/server-commands.ts';
import { absolutePath, fsErrorText } from './container-filesystem.ts';
import type { CommandImplementation, ContainerHost, OutputSink, ProcessContext } from './process-types.ts';
import { ProgramNotFound, Shell, type ProgramRunner, type ShellIo } from './shell/shell-interpreter.ts';
import { ShellSyntaxError, parseShell } from './shell/shell-parser.ts';

function prompt(host: ContainerHost, cwd: string): string {
  if (host.shellFlavor === 'ash') return `${cwd} ${host.image.definition.user ? '$' : '#'} `;
  if (host.shellFlavor === 'bash') return `root@${host.pod.metadata.name}:${cwd}# `;
  return '# ';
}

/**
 * `sh`, `ash`, `dash`, `bash`: `-c SCRIPT [NAME [ARGS…]]`, a script file, or commands read from stdin
 * (exec -i, attach), with a prompt when there is a terminal.
 */
const shellCommand: CommandImplementation = async (context) => {
  const { host } = context;
  const args = [...context.args];
  const run = createProgramRunner(host, { tty: context.tty });
  const io: ShellIo = { stdin: context.stdin, stdout: context.stdout, stderr: context.stderr };
  const name = context.command;
  let errexit = false;
  while (args[0] && /^[-+][eixluvs]+$/.test(args[0]) && args[0] !== '-c') {
    if (args[0].includes('e') && args[0].startsWith('-')) errexit = true;
    args.shift();
  }
  if (args[0] === '-c' || /^-[a-z]*c[a-z]*$/.test(args[0] ?? '')) {
    if (args[0] !== '-c' && args[0].includes('e')) errexit = true;
    const script = args[1];
    if (script === undefined) {
      context.stderr(`${name}: -c requires an argument\n`);
      return 2;
    }
    const shell = new Shell({ host, run, name: args[2] ?? name, positional: args.slice(3), env: context.env, cwd: context.cwd });
    return shell.runSource(errexit ? `set -e\n${script}` : script, io);
  }
  if (args[0] && args[0] !== '-s' && args[0] !== '-') {
    const path = absolutePath(args[0], context.cwd);
    const file = host.fs.read(path);
    if ('error' in file) {
      const text = fsErrorText[file.error];
      if (host.shellFlavor === 'bash') context.stderr(`${name}: ${args[0]}: ${text}\n`);
      else if (host.shellFlavor === 'dash') context.stderr(`${name}: 0: cannot open ${args[0]}: No such file\n`);
      else context.stderr(`${name}: can't open '${args[0]}': ${text}\n`);
      return host.shellFlavor === 'bash' ? 127 : 2;
    }
    const shell = new Shell({ host, run, name: args[0], positional: args.slice(1), env: context.env, cwd: context.cwd });
    return shell.runSource(file.content, io);
  }
  // Commands from stdin: an interactive shell under exec -it / attach, a piped script otherwise.
  const shell = new Shell({ host, run, name, env: context.env, cwd: context.cwd });
  let pending = '';
  if (context.tty) context.stdout(prompt(host, shell.cwd));
  for (;;) {
    const line = await context.stdin.readLine();
    if (line === undefined) break;
    pending = pending ? `${pending}\n${line}` : line;
    try {
      parseShell(pending);
    } catch (error) {
      if (error instanceof ShellSyntaxError && /unterminated|end of file|expecting|missing/.test(error.message)) {
        if (context.tty) context.stdout('> ');
        continue;
      }
    }
    const source = pending;
    pending = '';
    const status = await shell.runTopLevelSource(source, io);
    if (status.exited) return status.code;
    if (context.tty) context.stdout(prompt(host, shell.cwd));
  }
  return shell.status;
};

const shells: Record<string, CommandImplementation> = { sh: shellCommand, ash: shellCommand, dash: shellCommand, bash: shellCommand };

export const commandImplementations: Record<string, CommandImplementation> = { ...coreCommands, ...networkCommands, ...serverCommands, ...shells };

/** A line-buffering sink: text goes to `emit` one complete line at a time; `flush()` sends the rest. */
export function lineSink(emit: (line: string) => void): { write: OutputSink; flush: () => void } {
  let buffer = '';
  return {
    write(text) {
      buffer += text;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        emit(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    },
    flush() {
      if (buffer) emit(buffer);
      buffer = '';
    },
  };
}

/**
 * Runs programs by argv in a container: names are looked up on the image's PATH, paths on its
 * filesystem (a script needs its execute bit, as a ConfigMap file mounted with the default mode 0644
 * does not have it).
 */
export function createProgramRunner(host: ContainerHost, options: { tty?: boolean } = {}): ProgramRunner {
  const run: ProgramRunner = async (argv, io, env, cwd) => {
    const command = argv[0] ?? '';
    const base = command.split('/').pop() ?? '';
    let implementation: CommandImplementation | undefined;
    let args = argv.slice(1);
    if (command.includes('/')) {
      const path = absolutePath(command, cwd);
      const node = host.fs.stat(path);
      if (host.binaries.has(base) && (!node || (node.type === 'file' && !node.content.startsWith('#!') ) || base.endsWith('.sh'))) implementation = commandImplementations[base];
      else if (!node) throw new ProgramNotFound(command, 'missing');
      else if (node.type === 'dir') throw new ProgramNotFound(command, 'directory');
      else if (!(node.mode & 0o111)) throw new ProgramNotFound(command, 'permission');
      else {
        const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(node.content);
        const interpreter = shebang ? (shebang[1].endsWith('/env') ? shebang[2] ?? 'sh' : shebang[1]) : 'sh';
        const interpreterName = interpreter.split('/').pop()!;
        implementation = commandImplementations[interpreterName] ?? shellCommand;
        if (!host.binaries.has(interpreterName) && !shells[interpreterName]) throw new ProgramNotFound(interpreter, 'missing');
        args = [path, ...args];
      }
    } else if (host.binaries.has(base)) implementation = commandImplementations[base];
    else throw new ProgramNotFound(command, 'missing');
    if (!implementation) {
      io.stderr(`${base}: not simulated by kube-sim\n`);
      return 126;
    }
    const context: ProcessContext = {
      command,
      args,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      env,
      cwd,
      host,
      tty: options.tty,
      spawn: (next, overrides = {}) => run(next, { stdin: overrides.stdin ?? io.stdin, stdout: overrides.stdout ?? io.stdout, stderr: overrides.stderr ?? io.stderr }, overrides.env ?? env, cwd),
    };
    return implementation(context);
  };
  return run;
}
