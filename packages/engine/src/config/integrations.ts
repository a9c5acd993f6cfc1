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
  })
  .transform((env) => ({ backend: env.INTEGRATIONS_BACKEND, secretNamespace: env.INTEGRATIONS_SECRET_NAMESPACE }));

export type IntegrationsConfig = z.output<typeof integrationsConfigSchema>;
