/**
 * Issue 34: who enforces an approval on a cluster. `engine` (the embedded default): the engine's gate alone, the MCP
 * server's own identity writes. `cluster` (what the operator and chart set for installs that allow writes): every
 * decision is mirrored to the cluster's executor as a signed SkyfloApproval, and an approved call runs with the
 * credential the executor mints for exactly that approval; the MCP server's own identity is read-only.
 */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

const executorsSchema = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON such as {"prod-eu":"https://skyflo-executor.skyflo.svc:8443"}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), z.url({ protocol: /^https?$/, error: 'each executor must be an http(s) URL' })));

const signingKeySchema = z.string().superRefine((pem, context) => {
  try {
    const key = createPrivateKey({ key: pem.trim(), format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') context.addIssue({ code: 'custom', message: `must be an Ed25519 key (PKCS8 PEM), not ${key.asymmetricKeyType ?? 'this key type'}` });
  } catch {
    context.addIssue({ code: 'custom', message: 'must be an Ed25519 private key in PKCS8 PEM (-----BEGIN PRIVATE KEY-----); generate one with `openssl genpkey -algorithm ed25519`' });
  }
});

export const enforcementConfigSchema = z
  .object({
    SKYFLO_APPROVAL_ENFORCEMENT: z.enum(['cluster', 'engine'], { error: 'must be cluster or engine' }).default('engine'),
    /** the executor of the engine's cluster(s) */
    SKYFLO_EXECUTOR_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** one executor per cluster (kubeconfig context name → URL); SKYFLO_EXECUTOR_URL serves the others */
    SKYFLO_EXECUTORS: executorsSchema.optional(),
    /** the bearer the executor expects (SKYFLO_EXECUTOR_TOKEN_FILE supported) */
    SKYFLO_EXECUTOR_TOKEN: z.string().min(1).optional(),
    /** PKCS8 PEM Ed25519 (SKYFLO_APPROVAL_SIGNING_KEY_FILE supported); the executor holds its public key */
    SKYFLO_APPROVAL_SIGNING_KEY: signingKeySchema.optional(),
    /** between passes that take keys the engine removed off every executor (passkeys/stray-key-sweep.ts) */
    SKYFLO_APPROVER_KEY_SWEEP_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400 (a day)').default(300),
  })
  .superRefine((env, context) => {
    if (env.SKYFLO_APPROVAL_ENFORCEMENT !== 'cluster') return;
    if (!env.SKYFLO_EXECUTOR_URL && !env.SKYFLO_EXECUTORS) {
      context.addIssue({ code: 'custom', path: ['SKYFLO_EXECUTOR_URL'], message: "is required with SKYFLO_APPROVAL_ENFORCEMENT=cluster (or SKYFLO_EXECUTORS): the URL of the cluster's executor" });
    }
    if (!env.SKYFLO_EXECUTOR_TOKEN) context.addIssue({ code: 'custom', path: ['SKYFLO_EXECUTOR_TOKEN'], message: 'is required with SKYFLO_APPROVAL_ENFORCEMENT=cluster: the bearer the executor expects (or SKYFLO_EXECUTOR_TOKEN_FILE)' });
    if (!env.SKYFLO_APPROVAL_SIGNING_KEY) {
      context.addIssue({ code: 'custom', path: ['SKYFLO_APPROVAL_SIGNING_KEY'], message: 'is required with SKYFLO_APPROVAL_ENFORCEMENT=cluster: the Ed25519 key approvals are signed with (or SKYFLO_APPROVAL_SIGNING_KEY_FILE)' });
    }
  })
  .transform((env) => ({
    mode: env.SKYFLO_APPROVAL_ENFORCEMENT,
    ...(env.SKYFLO_EXECUTOR_URL ? { executorUrl: env.SKYFLO_EXECUTOR_URL } : {}),
    executors: env.SKYFLO_EXECUTORS ?? {},
    ...(env.SKYFLO_EXECUTOR_TOKEN ? { executorToken: env.SKYFLO_EXECUTOR_TOKEN } : {}),
    ...(env.SKYFLO_APPROVAL_SIGNING_KEY ? { signingKeyPem: env.SKYFLO_APPROVAL_SIGNING_KEY } : {}),
    approverKeySweepMs: env.SKYFLO_APPROVER_KEY_SWEEP_SECONDS * 1000,
  }));

export type EnforcementConfig = z.output<typeof enforcementConfigSchema>;
