/**
 * CPU time (user + system, ms) from /proc (Linux): of each of this process's threads (Node 20 has no per-thread CPU
 * clock), or of another process. Resolution is the kernel's tick (10 ms), so only the sum over many streams or
 * approvals is read from it. Empty (NaN for one process) where there is no /proc: the benches then print NaN.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** utime + stime in ms from a /proc `stat` file (a process's or a thread's); NaN when it cannot be read. */
export function statCpuMs(statPath: string): number {
  try {
    const fields = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export function threadCpu(): Map<string, number> {
  const times = new Map<string, number>();
  if (!existsSync('/proc/self/task')) return times;
  for (const tid of readdirSync('/proc/self/task')) {
    const ms = statCpuMs(`/proc/self/task/${tid}/stat`);
    // NaN: the thread ended between the listing and the read
    if (!Number.isNaN(ms)) times.set(tid, ms);
  }
  return times;
}

/** The threads `open` started (PGlite's worker when it opens a PGlite storage), with what it returned. */
export async function threadsStartedBy<T>(open: () => Promise<T>): Promise<{ value: T; threads: string[] }> {
  const before = new Set(threadCpu().keys());
  const value = await open();
  return { value, threads: [...threadCpu().keys()].filter((tid) => !before.has(tid)) };
}

/** The CPU time so far of the main thread and of `threads` together (a thread that has ended counts nothing). */
export function mainAndThreadsCpu(threads: string[]): { mainMs: number; threadsMs: number } {
  const times = threadCpu();
  return { mainMs: times.get(String(process.pid)) ?? NaN, threadsMs: threads.reduce((sum, tid) => sum + (times.get(tid) ?? 0), 0) };
}
