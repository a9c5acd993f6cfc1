/**
 * A PostgreSQL server of a test's own (initdb into a temporary folder, a free loopback port), so a suite can restart
 * or stop the database its engines use without touching the machine's shared server other suites run against.
 * As root (CI), the server runs as the `postgres` user: initdb and postgres refuse to run as root.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from './free-loopback-port.ts';

const run = promisify(execFile);

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  adminUrl: string;
  port: number;
  /** a URL for another database on this server */
  urlFor(database: string): string;
  /** `pg_ctl restart -m fast`: what a failover or a minor-version upgrade does to the clients */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: connections are terminated by the administrator, the port refuses new ones */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops the server and removes its folder */
  close(): Promise<void>;
}

async function postgresBinaries(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [] as string[])).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error(`No PostgreSQL server binaries under ${root}: install the postgresql package (.ci/run does).`);
  return path.join(root, versions[0], 'bin');
}

async function postgresIdentity(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await postgresBinaries();
  const identity = await postgresIdentity();
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-pg-'));
  if (identity) await chown(directory, identity.uid, identity.gid);
  const data = path.join(directory, 'data');
  const port = await freeLoopbackPort();
  const as = identity ? { uid: identity.uid, gid: identity.gid } : {};
  const pgCtl = (...args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(directory, 'server.log'), ...args], { ...as, cwd: directory });
  await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...as, cwd: directory });
  // fsync off: a test database need not survive a power cut, and it keeps a two-core machine's disk out of the way
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${directory} -c fsync=off -c max_connections=200`;
  const start = async () => {
    await pgCtl('-o', options, '-w', '-t', '120', 'start');
  };
  await start();
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    adminUrl: urlFor('postgres'),
    port,
    urlFor,
    async restart() {
      await pgCtl('-o', options, '-m', 'fast', '-w', '-t', '120', 'restart');
    },
    async stop() {
      await pgCtl('-m', 'fast', '-w', '-t', '120', 'stop');
    },
    start,
    async close() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
