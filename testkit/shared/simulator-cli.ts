import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parsePort } from '@skyflo/sandbox/parse-port';

/**
 * The part every simulator CLI shares: parse flags (a bad one prints the usage and exits 2), `--help`, and
 * a validated `--port`. Each CLI declares its own options, including `port` and `help`.
 */
export function parseSimulatorArgs<T extends ParseArgsConfig>(name: string, usage: string, config: T): { values: ReturnType<typeof parseArgs<T>>['values']; port: number } {
  let values: ReturnType<typeof parseArgs<T>>['values'];
  try {
    ({ values } = parseArgs(config));
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  const flags = values as Record<string, unknown>;
  if (flags.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = parsePort(flags.port as string | undefined);
  if (typeof port !== 'number') {
    console.error(`${name}: ${port.error}.\n${usage}`);
    process.exit(2);
  }
  return { values, port };
}

/** Closes the simulator and exits on Ctrl-C or SIGTERM. */
export function closeOnSignals(close: () => Promise<void>): void {
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
