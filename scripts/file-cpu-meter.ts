/**
 * Set-up file of the integration and e2e test projects: records on each test file the CPU time it cost — its worker
 * process's (every thread: the engine's, its PGlite thread's) plus that of the child processes it started and that
 * have ended (kubectl, helm, Chromium, a spawned `skyflo`) — as the file's `cpuMs` meta, for the summary reporter's
 * "most CPU" list. Why: on two busy cores a file's wall time says as much about what ran beside it as about the file;
 * its CPU is what it costs the tier wherever it runs.
 */
import { readFileSync } from 'node:fs';
import { afterAll } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** CPU ms this test file cost: its process and the child processes it waited for (scripts/file-cpu-meter.ts) */
    cpuMs?: number;
  }
}

/** Linux's USER_HZ, the unit of /proc's CPU times (100 on every architecture Linux runs Node on) */
const ticksPerSecond = 100;

/**
 * This process's CPU ms, its own (user + system, all threads) and its ended children's (cutime + cstime: what the
 * kernel adds to a parent when it reaps a child, grandchildren included once reaped). Where /proc is missing, the
 * process's own only.
 */
function processTreeCpuMs(): number {
  try {
    // the fields after the command name, which is in parentheses and may itself hold spaces or ')'
    const text = readFileSync('/proc/self/stat', 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields 14-17 of proc(5) (utime stime cutime cstime) are 11-14 here, the list starting at field 3 (state)
    const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
    if (Number.isFinite(ticks)) return (ticks * 1000) / ticksPerSecond;
  } catch {
    // no /proc: below
  }
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000;
}

const atStart = processTreeCpuMs();

// (vitest hands a hook its fixture context first, as a pattern to destructure, and the file second)
afterAll(({}, file) => {
  file.meta.cpuMs = Math.round(processTreeCpuMs() - atStart);
});
