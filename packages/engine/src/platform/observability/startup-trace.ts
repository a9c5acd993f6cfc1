/**
 * Start-up phases, in milliseconds since this process started (performance.now() counts from there), so a cold
 * start can be broken down from outside: with SKYFLO_STARTUP_TRACE=1, runServer prints them as one JSON line on
 * stderr once the engine listens (bench/release-start.ts reads it). Marking costs an array push, so it is always on;
 * with the variable set, each mark also notes the CPU time this thread had used by then (Linux: the first field of
 * /proc/thread-self/schedstat, in ns), which a loaded machine does not inflate as it does the wall clock.
 */
import { readFileSync } from 'node:fs';

const tracing = Boolean(process.env.SKYFLO_STARTUP_TRACE);
const marks: Array<{ phase: string; ms: number; cpuMs?: number; processCpuMs?: number }> = [];

function threadCpuMs(): number | undefined {
  try {
    return Math.round(Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6);
  } catch {
    return undefined;
  }
}

export function markStartup(phase: string): void {
  const ms = Math.round(performance.now());
  if (!tracing) return void marks.push({ phase, ms });
  const cpuMs = threadCpuMs();
  const { user, system } = process.cpuUsage();
  marks.push({ phase, ms, ...(cpuMs !== undefined ? { cpuMs } : {}), processCpuMs: Math.round((user + system) / 1000) });
}

/** The phases marked so far, in the order they happened. */
export function startupMarks(): ReadonlyArray<{ phase: string; ms: number; cpuMs?: number; processCpuMs?: number }> {
  return [...marks].sort((a, b) => a.ms - b.ms);
}

/**
 * The line runServer prints: `skyflo-startup {"phase":{"ms":…,"cpuMs":…,"processCpuMs":…},...}`; cpuMs is this
 * thread's CPU time, processCpuMs every thread's (the database's thread, libuv's pool).
 */
export function startupTraceLine(): string {
  return `skyflo-startup ${JSON.stringify(Object.fromEntries(startupMarks().map(({ phase, ...figures }) => [phase, figures])))}`;
}
