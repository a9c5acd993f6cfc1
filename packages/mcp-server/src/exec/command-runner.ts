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

/** A process that outlives the tool call that started it (kubectl port-forward). */
export interface LongRunningProcess {
  /** every stdout/stderr line as it arrives */
  onLine(listener: (line: string, stream: 'stdout' | 'stderr') => void): void;
  /** settles once the process has ended, for whatever reason */
  readonly exited: Promise<{ exitCode: number | null }>;
  /** ends the process (SIGTERM); safe to call more than once */
  stop(): void;
}

export interface CommandRunner {
  run(request: CommandRequest): Promise<CommandResult>;
  /** Starts a long-running process, with the same argv-only rule as run; the caller must stop it. */
  start(request: Pick<CommandRequest, 'binary' | 'args' | 'env'>): LongRunningProcess;
}
