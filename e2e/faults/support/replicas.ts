/**
 * Engine replicas for the fault suite: `skyflo serve` processes sharing one Postgres, one Redis, one MCP server and
 * one set of secrets, as a scaled-out install runs them. A replica can be killed (-9), frozen (SIGSTOP) and thawed,
 * and started again on the same data dir.
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { startServeProcess, type ServeProcess } from '@skyflo/testkit/services';

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

/** One replica: a `skyflo serve` process with the name its data dir has (kept across restarts). */
export interface Replica extends ServeProcess {
  name: string;
}

const sharedSecrets = {
  JWT_SECRET: 'fault-suite-jwt-secret-0123456789abcdef',
  // Replicas sign audit records with one key, or each one's /audit/verify reports the others' records as not the engine's.
  SKYFLO_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  // Replicas share the key that seals calls awaiting approval, or one could not execute what another recorded.
  SKYFLO_ENCRYPTION_KEY: '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
};

export async function startReplica(name: string, settings: ReplicaSettings): Promise<Replica> {
  const replica = await startServeProcess({
    env: {
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
  });
  return { name, ...replica };
}

export const killReplica = (replica: Replica): Promise<void> => replica.kill('SIGKILL');

export const stopReplica = (replica: Replica): Promise<void> => replica.stop();

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

/** GET /readyz (the server's root), never throwing: 200 when everything answers, 503 while degraded; 0: no answer. */
export async function readReadiness(replica: Replica, timeoutMs = 10_000): Promise<HealthReading> {
  try {
    const response = await fetch(`${replica.url.replace(/\/api\/v1$/, '')}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as HealthReading['body'] };
  } catch {
    return { status: 0, body: {} };
  }
}
