/**
 * `--exit-with-parent` (what `npm start` and `npm run sandbox` pass): stop when the process that started this one
 * goes away. Why: npm runs a script as `sh -c "…"`, and a SIGTERM sent to npm alone ends npm and that shell but never
 * reaches the server, which would keep the port and the data dir's lock as an orphan. Node.js has no parent-death
 * signal, so the parent pid is polled: when it changes, the parent died and the kernel re-parented this process.
 */
export interface ExitWithParentDeps {
  /** the current parent pid (process.ppid reads it fresh each time) */
  parentPid: () => number;
  /** called once, when the parent is gone */
  onParentGone: (formerParent: number) => void;
  intervalMs?: number;
}

/** Starts watching; the returned function stops. The timer never keeps the process alive on its own. */
export function exitWithParent(deps: ExitWithParentDeps): () => void {
  const parent = deps.parentPid();
  const timer = setInterval(() => {
    if (deps.parentPid() === parent) return;
    clearInterval(timer);
    deps.onParentGone(parent);
  }, deps.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
