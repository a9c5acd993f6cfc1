/** Where integration credentials are kept. Parsed once by config/index.ts. */
import { z } from 'zod';

export const integrationsConfigSchema = z
  .object({
    /**
     * `database` (default): sealed with SKYFLO_ENCRYPTION_KEY in the engine's database, handed to the MCP server with
     * each Jenkins call. `kubernetes`: a Secret per integration (keys url, username, api-token) in
     * INTEGRATIONS_SECRET_NAMESPACE, read by the MCP server itself, as Skyflo does; the engine needs create, get, update
     * and delete on Secrets there.
     */
    INTEGRATIONS_BACKEND: z.enum(['database', 'kubernetes'], { error: 'must be database or kubernetes' }).default('database'),
    /** The namespace of the integration Secrets (kubernetes backend; the MCP server reads only this one). */
    INTEGRATIONS_SECRET_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name')
      .default('default'),
    /** How many alert-triggered investigations (POST /alerts…) run at once; more wait in a queue, reported in the answer. */
    ALERT_MAX_CONCURRENT_INVESTIGATIONS: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').default(2),
    /**
     * How many alert investigations may wait for a free slot (all engines on one database together; each is a full
     * model run). Past it an alert is refused with 429 and `queued: false`, and Alertmanager sends it again later.
     * The queue is kept in the database, so a restart resumes it.
     */
    ALERT_QUEUE_LIMIT: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').default(20),
    /** A folder of Markdown runbooks (or a git checkout of one), matched to alerts and questions (docs/runbooks.md). */
    RUNBOOKS_DIR: z.string().trim().min(1).optional(),
  })
  .transform((env) => ({ backend: env.INTEGRATIONS_BACKEND, secretNamespace: env.INTEGRATIONS_SECRET_NAMESPACE, alertMaxConcurrentInvestigations: env.ALERT_MAX_CONCURRENT_INVESTIGATIONS, alertQueueLimit: env.ALERT_QUEUE_LIMIT, ...(env.RUNBOOKS_DIR ? { runbooksDir: env.RUNBOOKS_DIR } : {}) }));

export type IntegrationsConfig = z.output<typeof integrationsConfigSchema>;
