/**
 * The only way the MCP server starts a process: an argv array, never a shell string, so no argument
 * can be interpreted by a shell. Values are checked by flag-guard.ts before they reach an argv.
 */
export interface CommandRequest {
  binary: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CommandRunner {
  run(request: CommandRequest): Promise<CommandResult>;
}
