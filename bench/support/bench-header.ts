/**
 * The first lines every bench prints: what it measured on (storage) and how busy the machine was while it ran.
 * A figure from a loaded two-core machine is not comparable to one from an idle machine; the load average says which
 * it was, so a reader can tell a regression from a busy neighbour.
 */
import os from 'node:os';

/** The machine's load right now: 1/5/15-minute load averages against the number of cores. */
export function machineLoad(): string {
  const [one, five, fifteen] = os.loadavg().map((value) => value.toFixed(2));
  return `load average ${one} / ${five} / ${fifteen} (1/5/15 min) on ${os.availableParallelism()} cores`;
}

/**
 * Prints `<name>: storage <storage>; <load>`. `storage` names what the measured code stored into (e.g. "PGlite in a
 * data dir", "Postgres on 127.0.0.1:5432") or says that it stores nothing.
 */
export function printBenchHeader(name: string, storage: string): void {
  console.log(`${name}: storage ${storage}; ${machineLoad()}`);
}

/** Ends the bench with a clear message and a non-zero exit: a bench must not print a figure for work it did not do. */
export function failBench(message: string): never {
  console.error(`BENCH FAILED: ${message}`);
  process.exit(1);
}

/** Throws with the status and body when an HTTP answer is not 2xx, so a bench cannot go on after a refused request. */
export async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  return response;
}
