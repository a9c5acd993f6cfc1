// Runs a program on the terminal it was started on and writes its exit status to a file, for tmux.ts. Why not ask
// tmux: it marks a pane dead when the pty closes, before it reaps the program, and twice under load it never
// reported the status at all. Usage: node record-exit-status.mjs <status file> <program> [args…]
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';

const [statusFile, program, ...args] = process.argv.slice(2);
// Ctrl-C signals the terminal's whole foreground group; what it means is the program's business, not this wrapper's.
process.on('SIGINT', () => undefined);
const result = spawnSync(program, args, { stdio: 'inherit' });
// written whole, then renamed: a reader never sees a half-written status
writeFileSync(`${statusFile}.partial`, result.status !== null ? String(result.status) : `signal ${result.signal ?? result.error?.message}`);
renameSync(`${statusFile}.partial`, statusFile);
process.exitCode = result.status ?? 1;
