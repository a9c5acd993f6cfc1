/**
 * Engine replicas for the fault suite: `skyflo serve` processes sharing one Postgres, one Redis, one MCP server and
 * one set of secrets, as a scaled-out install runs them. A replica can be killed (-9), frozen (SIGSTOP) and thawed,
 * and started again on the same data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { vi } from 'vitest';

export interface ReplicaSettings {
  directory: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  mcpUrl: string;
  mcpToken: string;
  llmUrl: string;
  /** extra environment (short leases, verification hold…) */
  env?: Record<string, string>;
}

export interface Replica {
  name: string;
  /** http://127.0.0.1:<port>/api/v1 of the current process */
  url: string;
  child: ChildProcess;
  output(): string;
}

const sharedSecrets = {
  JWT_SECRET: 'fault-suite-jwt-secret-0123456789abcdef',
  // Replicas sign audit records with one key, or each one's /audit/verify reports the others' records as not the engine's.
  SKYFLO_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  // Replicas share the key that seals calls awaiting approval, or one could not execute what another recorded.
  SKYFLO_ENCRYPTION_KEY: '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
};

export async function startReplica(name: string, settings: ReplicaSettings): Promise<Replica> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/bin/skyflo.mjs'), 'serve', '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: settings.directory,
      SKYFLO_DATA_DIR: path.join(settings.directory, name),
      POSTGRES_DATABASE_URL: settings.databaseUrl,
      REDIS_URL: settings.redisUrl,
      REDIS_KEY_PREFIX: settings.redisPrefix,
      MCP_SERVER_URL: settings.mcpUrl,
      MCP_AUTH_TOKEN: settings.mcpToken,
      ...sharedSecrets,
      ALLOW_REGISTRATION: 'true',
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: settings.llmUrl,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
      // the workload starts many conversations in a minute from few users; the limits are not what is under test
      CONVERSATIONS_PER_MINUTE: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
      ...settings.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    // seconds idle, tens of seconds on a loaded two-core machine: the limit only ends a start that hangs
    const url = await vi.waitFor(
      () => {
        if (child.exitCode !== null) return new Error(`replica ${name} exited (${child.exitCode}):\n${output}`);
        const found = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
        if (!found) throw new Error(`replica ${name} did not start:\n${output.slice(-4000)}`);
        return found;
      },
      { timeout: 180_000, interval: 50 },
    );
    if (url instanceof Error) throw url;
    return { name, url: `${url}/api/v1`, child, output: () => output };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export async function killReplica(replica: Replica, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise((resolve) => replica.child.once('exit', resolve));
  replica.child.kill(signal);
  await exited;
}

export async function stopReplica(replica: Replica): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  replica.child.kill('SIGCONT');
  const exited = new Promise((resolve) => replica.child.once('exit', resolve));
  replica.child.kill('SIGTERM');
  const timer = setTimeout(() => replica.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface HealthReading {
  status: number;
  body: { status?: string; [key: string]: unknown };
}

/** GET /health, never throwing: a refused connection reads as status 0. */
export async function readHealth(replica: Replica, timeoutMs = 5_000): Promise<HealthReading> {
  try {
    const response = await fetch(`${replica.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as HealthReading['body'] };
  } catch {
    return { status: 0, body: {} };
  }
}
