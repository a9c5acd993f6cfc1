/**
 * A PostgreSQL cluster of a test's own (initdb into a temp dir, listening on 127.0.0.1 and a free port) that the test
 * may stop and start like an operator restarting the database (`pg_ctl restart`, a failover, a minor upgrade),
 * without touching the machine's shared server on 5432 that other suites use.
 * `stop()` is a fast shutdown (SIGINT): every session is told "terminating connection due to administrator command".
 * initdb and postgres refuse to run as root, so as root they run as the `postgres` user (spawn's uid/gid, no shell).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** fast shutdown; resolves once the server process has exited */
  stop(): Promise<void>;
  /** starts the server again on the same port and data; resolves once it accepts connections */
  start(): Promise<void>;
  /** stops the server and deletes its files */
  destroy(): Promise<void>;
}

async function binDirectory(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return path.join('/usr/lib/postgresql', versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The postgres user's ids when running as root (the server refuses root); undefined otherwise. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await binDirectory();
  const user = await serverUser();
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-pg-'));
  if (user) await chown(directory, user.uid, user.gid);
  const data = path.join(directory, 'data');
  const port = await freePort();
  await run(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { ...(user ?? {}) });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const child = spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${directory}`, '-c', 'fsync=off'], {
      ...(user ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server = child;
    // Ready when a connection succeeds (the server refuses them while it starts up).
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited at start:\n${output}`);
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async function stop(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }

  await start();
  return {
    url,
    stop,
    start,
    async destroy() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
