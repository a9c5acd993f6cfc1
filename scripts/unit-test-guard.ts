/**
 * Set-up file of the `unit` test project (vitest.config.ts): the unit tier promises "no processes, no network", so
 * here starting a process, listening on a port or opening a connection throws, naming the rule, instead of silently
 * making the fast tier slow. Patched on the built-in modules and synced into their ESM named exports, so
 * `import { spawn } from 'node:child_process'` in a test or in the module under test meets the same guard.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(`${what} in a unit test: the unit project (packages/*/src/**/*.test.ts) has no processes and no network; move this test to the package's test/<capability>/ folder`);
}

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  (childProcess as unknown as Record<string, unknown>)[name] = () => refuse(`child_process.${name}`);
}
net.Server.prototype.listen = function listen(): never {
  return refuse('listening on a socket');
};
net.Socket.prototype.connect = function connect(): never {
  return refuse('opening a connection');
};
syncBuiltinESMExports();
