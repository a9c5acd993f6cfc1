/**
 * CPU time (user + system, ms) of each of this process's threads, from /proc (Linux): Node 20 has no per-thread CPU
 * clock. Resolution is the kernel's tick (10 ms), so only the sum over many streams or approvals is read from it.
 * Empty where there is no /proc (the benches then print NaN for a thread's share).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export function threadCpu(): Map<string, number> {
  const times = new Map<string, number>();
  if (!existsSync('/proc/self/task')) return times;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      times.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // the thread ended between the listing and the read
    }
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
