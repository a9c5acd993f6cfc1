/** In-memory CommandRunner for unit tests: scripted answers and a `calls` log to assert on. */
import type { CommandRequest, CommandResult, CommandRunner } from './command-runner.ts';

export type FakeResponder = (request: CommandRequest) => Partial<CommandResult> | Promise<Partial<CommandResult>>;

export interface FakeCommandRunner extends CommandRunner {
  readonly calls: CommandRequest[];
}

export function createFakeCommandRunner(responder: FakeResponder = () => ({})): FakeCommandRunner {
  const calls: CommandRequest[] = [];
  return {
    calls,
    async run(request) {
      calls.push(request);
      const answer = await responder(request);
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answer };
    },
  };
}
