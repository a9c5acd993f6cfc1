/** Where integration credentials are kept. Parsed once by config/index.ts. */
import { z } from 'zod';

const minWebhookSecretLength = 16;
const pagerDutySecretMessage = "must be the webhook subscription's signing secret (PagerDuty shows it once, when the subscription is created); several are separated by commas during a rotation";
/** PAGERDUTY_WEBHOOK_SECRET holds several secrets during a rotation, separated by commas. */
const splitWebhookSecrets = (value: string) => value.split(',').map((secret) => secret.trim()).filter(Boolean);

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
    /**
     * When a repeat notification of an open alert group runs the model again: `on_change` (default) only when the set
     * of firing alerts changed (a repeat with the same set adds a line to the investigation), `always`, or `never`.
     */
    ALERT_REINVESTIGATE: z.enum(['on_change', 'always', 'never'], { error: 'must be on_change, always or never' }).default('on_change'),
    /**
     * Where the Bot Framework channel publishes the keys it signs Teams activities with (OpenID metadata whose jwks_uri
     * lists them). Default Microsoft's public cloud; change it only for another cloud or a test channel (teams-sim).
     */
    TEAMS_OPENID_METADATA_URL: z.url({ error: 'must be a URL such as https://login.botframework.com/v1/.well-known/openidconfiguration' }).optional(),
    /** A folder of Markdown runbooks (or a git checkout of one), matched to alerts and questions (docs/runbooks.md). */
    RUNBOOKS_DIR: z.string().trim().min(1).optional(),
    /**
     * PagerDuty (issue 39): the v3 webhook subscription's signing secret (PAGERDUTY_WEBHOOK_SECRET_FILE supported;
     * several separated by commas during a rotation). Set, POST /api/v1/alerts/pagerduty opens investigations.
     */
    PAGERDUTY_WEBHOOK_SECRET: z
      .string()
      .trim()
      .optional()
      // Why each: a delivery is accepted when any one listed secret signs it, so one short secret in the list
      // (`…,ab`) would let a guessed signature through however long the others are. The message never holds a secret.
      .superRefine((value, context) => {
        if (value === undefined) return;
        const secrets = splitWebhookSecrets(value);
        if (secrets.length === 0) context.addIssue({ code: 'custom', message: pagerDutySecretMessage });
        secrets.forEach((secret, index) => {
          if (secret.length < minWebhookSecretLength) {
            context.addIssue({ code: 'custom', message: `${secrets.length > 1 ? `secret ${index + 1} of ${secrets.length} (comma-separated) is ${secret.length} characters; each` : 'the secret'} must be at least ${minWebhookSecretLength} characters: ${pagerDutySecretMessage}` });
          }
        });
      }),
    /** The email of the Skyflo account PagerDuty investigations belong to (an active member; its calls are "asked by alert"). */
    PAGERDUTY_RUN_AS: z.email('must be the email of a Skyflo account').optional(),
    /** A PagerDuty REST API key: set, each investigation's conclusion is posted to its incident as a note. */
    PAGERDUTY_API_TOKEN: z.string().trim().min(1).optional(),
    /** The email of the PagerDuty user the notes are posted as (PagerDuty's From header); required with PAGERDUTY_API_TOKEN. */
    PAGERDUTY_FROM: z.email('must be the email of a PagerDuty user').optional(),
    PAGERDUTY_API_URL: z.url('must be an http(s) URL').default('https://api.pagerduty.com'),
  })
  .superRefine((env, context) => {
    if (env.PAGERDUTY_WEBHOOK_SECRET && !env.PAGERDUTY_RUN_AS) context.addIssue({ code: 'custom', path: ['PAGERDUTY_RUN_AS'], message: 'is required with PAGERDUTY_WEBHOOK_SECRET: set it to the email of the Skyflo account PagerDuty investigations belong to' });
    if (env.PAGERDUTY_RUN_AS && !env.PAGERDUTY_WEBHOOK_SECRET) context.addIssue({ code: 'custom', path: ['PAGERDUTY_WEBHOOK_SECRET'], message: "is required with PAGERDUTY_RUN_AS: set it to the webhook subscription's signing secret" });
    if (env.PAGERDUTY_API_TOKEN && !env.PAGERDUTY_FROM) context.addIssue({ code: 'custom', path: ['PAGERDUTY_FROM'], message: 'is required with PAGERDUTY_API_TOKEN: set it to the email of the PagerDuty user the incident notes are posted as' });
  })
  .transform((env) => ({
    backend: env.INTEGRATIONS_BACKEND,
    secretNamespace: env.INTEGRATIONS_SECRET_NAMESPACE,
    alertMaxConcurrentInvestigations: env.ALERT_MAX_CONCURRENT_INVESTIGATIONS,
    alertQueueLimit: env.ALERT_QUEUE_LIMIT,
    alertReinvestigate: env.ALERT_REINVESTIGATE,
    ...(env.TEAMS_OPENID_METADATA_URL ? { teamsOpenIdMetadataUrl: env.TEAMS_OPENID_METADATA_URL } : {}),
    ...(env.RUNBOOKS_DIR ? { runbooksDir: env.RUNBOOKS_DIR } : {}),
    ...(env.PAGERDUTY_WEBHOOK_SECRET && env.PAGERDUTY_RUN_AS
      ? {
          pagerDuty: {
            webhookSecrets: splitWebhookSecrets(env.PAGERDUTY_WEBHOOK_SECRET),
            runAs: env.PAGERDUTY_RUN_AS,
            apiUrl: env.PAGERDUTY_API_URL,
            ...(env.PAGERDUTY_API_TOKEN && env.PAGERDUTY_FROM ? { notes: { apiToken: env.PAGERDUTY_API_TOKEN, from: env.PAGERDUTY_FROM } } : {}),
          },
        }
      : {}),
  }));

export type IntegrationsConfig = z.output<typeof integrationsConfigSchema>;
