/**
 * Tool processes end with the server that started them, even when it is killed with SIGKILL. Why: a killed engine
 * left `helm install --wait` running (re-parented to PID 1) for up to its timeout, still changing the cluster after
 * the engine had reported the call's outcome as unknown; and kubectl port-forwards kept their ports.
 *
 * Node.js has no parent-death signal (PR_SET_PDEATHSIG), so: every tool process starts in a process group of its own
 * (spawn `detached`), and one small watcher process per server — the reaper, `node -e` with the script below, started
 * on first use — reads a pipe from the server on which the server registers each group ("+pgid") and forgets it when
 * the process has ended ("-pgid"). A process that dies, however it dies, has its file descriptors closed by the
 * kernel: the reaper reads end-of-file, sends SIGTERM to every group still registered (helm then records the release
 * as failed instead of leaving it pending-install), and SIGKILL to what is left after a grace period. The reaper runs
 * in a group of its own too, so a Ctrl-C to the terminal's group reaches the server but not the watcher.
 *
 * An idle reaper (no groups for a while) exits; the next tool process starts another. No shell anywhere: argv only.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildReaper {
  /** registers the process group led by `pid` (a process spawned `detached`); returns the call that forgets it */
  watch(pid: number): () => void;
  /** signals the group led by `pid` now (ignores a group already gone) */
  signalGroup(pid: number, signal: NodeJS.Signals): void;
}

export interface ChildReaperOptions {
  /** SIGTERM → SIGKILL delay after the server died (default 5 s) */
  graceMs?: number;
  /** how long a reaper with no group to watch waits before exiting (default 30 s) */
  idleMs?: number;
}

// The reaper itself: plain JavaScript for `node -e` (no file to find in the release bundle, no loader). argv[1]:
// grace period, argv[2]: idle time, both in ms.
const reaperScript = `
const graceMs = Number(process.argv[1]);
const idleMs = Number(process.argv[2]);
const groups = new Set();
let pending = '';
let idle;
const armIdle = () => {
  clearTimeout(idle);
  if (groups.size === 0) idle = setTimeout(() => process.exit(0), idleMs);
};
const signalAll = (signal) => {
  for (const id of groups) {
    try { process.kill(-id, signal); } catch { groups.delete(id); }
  }
};
let finishing = false;
const finish = () => {
  if (finishing) return;
  finishing = true;
  clearTimeout(idle);
  signalAll('SIGTERM');
  const deadline = Date.now() + graceMs;
  const poll = setInterval(() => {
    signalAll(0);
    if (groups.size === 0 || Date.now() >= deadline) {
      signalAll('SIGKILL');
      clearInterval(poll);
      process.exit(0);
    }
  }, 50);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    const id = Number(line.slice(1));
    if (!Number.isInteger(id) || id <= 1) continue;
    if (line[0] === '+') groups.add(id);
    else if (line[0] === '-') groups.delete(id);
  }
  armIdle();
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
armIdle();
`;

function signalGroupIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

// A normal exit (or an uncaught error) ends the live groups at once, without waiting for the reapers' read. The
// process's exit is one event for every reaper in it, so one listener serves them all, and only while a group is
// alive: a listener per reaper for the life of the process printed Node's MaxListenersExceededWarning wherever a
// dozen MCP servers started in one process (a test worker).
const reapersWithLiveGroups = new Set<ReadonlySet<number>>();
const endLiveGroups = () => {
  for (const live of reapersWithLiveGroups) for (const pid of live) signalGroupIfAlive(pid, 'SIGTERM');
};

export function createChildReaper(options: ChildReaperOptions = {}): ChildReaper {
  const graceMs = options.graceMs ?? 5_000;
  const idleMs = options.idleMs ?? 30_000;
  const live = new Set<number>();
  let reaper: ChildProcess | undefined;

  const send = (line: string) => {
    if (!reaper) {
      reaper = startReaper();
      // a new reaper (the first, or after an idle one exited) learns every group still alive
      for (const pid of live) if (`+${pid}\n` !== line) reaper.stdin?.write(`+${pid}\n`);
    }
    reaper.stdin?.write(line);
  };

  function startReaper(): ChildProcess {
    const child = spawn(process.execPath, ['-e', reaperScript, String(graceMs), String(idleMs)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: {}, windowsHide: true });
    // Neither the reaper nor its pipe keeps this process alive; the pipe closing is the whole point.
    child.unref();
    const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
    stdin?.unref?.();
    child.stdin?.on('error', () => undefined);
    child.once('error', () => undefined);
    const startedAt = Date.now();
    child.once('exit', () => {
      if (reaper === child) reaper = undefined;
      // An idle reaper exited while a group was being registered: the next one learns all live groups. One that
      // could not run at all is not restarted in a loop; the next watch() tries again.
      if (live.size > 0 && Date.now() - startedAt > 1_000) send('');
    });
    return child;
  }

  return {
    watch(pid) {
      live.add(pid);
      if (reapersWithLiveGroups.size === 0) process.on('exit', endLiveGroups);
      reapersWithLiveGroups.add(live);
      send(`+${pid}\n`);
      return () => {
        if (!live.delete(pid)) return;
        if (live.size === 0 && reapersWithLiveGroups.delete(live) && reapersWithLiveGroups.size === 0) process.off('exit', endLiveGroups);
        if (reaper) reaper.stdin?.write(`-${pid}\n`);
      };
    },
    signalGroup: signalGroupIfAlive,
  };
}
