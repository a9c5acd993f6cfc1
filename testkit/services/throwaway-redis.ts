/**
 * A redis-server of a test's own on a free loopback port, so a suite can kill -9 and restart the bus its engines share
 * without touching the machine's Redis other suites use. Nothing is persisted: a restart starts empty, as a Redis
 * that lost its memory does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freeLoopbackPort } from './free-loopback-port.ts';

export interface ThrowawayRedis {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** SIGKILL: connections drop at once, nothing is flushed */
  kill(): Promise<void>;
  /** starts it again on the same port (after kill) */
  start(): Promise<void>;
  /** SIGSTOP: a stalled Redis — its sockets stay open and accept, nothing answers (issue 75) */
  pause(): void;
  /** SIGCONT after pause: it answers again, and what waited is served */
  resume(): void;
  close(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    output = '';
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // bounded by attempts, not by a clock: a start takes milliseconds idle and longer on a loaded machine
    for (let attempt = 0; attempt < 600; attempt++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${output}`);
      if (await answersPing(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer PING on ${port}:\n${output}`);
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  };
  await start();
  const signal = (name: NodeJS.Signals) => {
    if (!child || child.exitCode !== null) throw new Error('redis-server is not running');
    child.kill(name);
  };
  // a paused server is resumed before it is killed, so its SIGKILL is not left pending on a stopped process
  const close = async () => {
    if (child && child.exitCode === null) child.kill('SIGCONT');
    await kill();
  };
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, pause: () => signal('SIGSTOP'), resume: () => signal('SIGCONT'), close };
}
