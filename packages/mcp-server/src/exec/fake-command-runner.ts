/** In-memory CommandRunner for unit tests: scripted answers and a `calls` log to assert on. */
import type { CommandRequest, CommandResult, CommandRunner, LongRunningProcess } from './command-runner.ts';

export type FakeResponder = (request: CommandRequest) => Partial<CommandResult> | Promise<Partial<CommandResult>>;

/** A started process the test drives: it prints lines and exits when the test says so. */
export interface FakeProcess extends LongRunningProcess {
  readonly request: Pick<CommandRequest, 'binary' | 'args' | 'env'>;
  readonly stopped: boolean;
  emit(line: string, stream?: 'stdout' | 'stderr'): void;
  exit(exitCode: number | null): void;
}

export interface FakeCommandRunner extends CommandRunner {
  readonly calls: CommandRequest[];
  /** every process start(ed), in order */
  readonly started: FakeProcess[];
}

export function createFakeCommandRunner(responder: FakeResponder = () => ({}), onStart: (process: FakeProcess) => void = () => {}): FakeCommandRunner {
  const calls: CommandRequest[] = [];
  const started: FakeProcess[] = [];
  return {
    calls,
    started,
    async run(request) {
      calls.push(request);
      const answer = await responder(request);
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answer };
    },
    start(request) {
      const listeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
      let settle: (value: { exitCode: number | null }) => void = () => {};
      let ended = false;
      const exited = new Promise<{ exitCode: number | null }>((resolve) => (settle = resolve));
      const fake: FakeProcess = {
        request,
        stopped: false,
        onLine: (listener) => void listeners.push(listener),
        exited,
        emit: (line, stream = 'stdout') => listeners.forEach((listener) => listener(line, stream)),
        exit(exitCode) {
          if (ended) return;
          ended = true;
          settle({ exitCode });
        },
        stop() {
          (fake as { stopped: boolean }).stopped = true;
          fake.exit(null);
        },
      };
      started.push(fake);
      // Answer on the next tick, as a real process would, so the caller has subscribed by then.
      queueMicrotask(() => onStart(fake));
      return fake;
    },
  };
}
