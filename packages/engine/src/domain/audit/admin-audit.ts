/**
 * Audit records for administration done outside the team routes: integrations (Jenkins) and runtime settings
 * (LLM provider, model, key). For the code that changes them — call with the audit of the same transaction
 * (`storage.atomically(({ audit }) => …)`, or appendAuditEvent(tx, …) from storage code) so the change and its
 * record commit together.
 *
 * Why an allow-list: a change's fields are copied by name, so a credential can only reach the trail as "changed"
 * (and the last 4 characters the API shows anyway), never as its value, whatever the caller passes.
 */
import type { AuditLog, AuthenticatedUser } from '../../platform/ports/index.ts';

export interface AdminChangeContext {
  actor: Pick<AuthenticatedUser, 'id'>;
  ip?: string;
}

/** Field names whose values are shown in the record; anything else is listed as changed, without its value. */
const shownIntegrationFields = new Set(['name', 'provider', 'status', 'api_url', 'username', 'grafana_url']);
const shownSettingsFields = new Set(['provider', 'model', 'base_url', 'reasoning_effort', 'thinking_budget_tokens', 'max_tokens']);

function describeChanges(fields: Record<string, unknown>, shown: Set<string>): { values: Record<string, unknown>; changed: string[] } {
  const values: Record<string, unknown> = {};
  const changed: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    changed.push(name);
    if (shown.has(name) && (value === null || ['string', 'number', 'boolean'].includes(typeof value))) values[name] = value;
  }
  return { values, changed: changed.sort() };
}

export async function recordIntegrationChange(
  audit: AuditLog,
  input: AdminChangeContext & {
    change: 'created' | 'updated' | 'deleted' | 'tested';
    integration: { id: string; provider: string; name?: string };
    /** the request's fields (credentials included is fine: only their names are kept) */
    fields?: Record<string, unknown>;
    /** the last 4 characters of a new API token, as the API shows them */
    tokenLast4?: string;
    /** a credentials check: what Jenkins answered, in plain words */
    outcome?: string;
  },
): Promise<void> {
  const { values, changed } = describeChanges(input.fields ?? {}, shownIntegrationFields);
  await audit.record({
    actorId: input.actor.id,
    action: `integration.${input.change}`,
    subjectType: 'integration',
    subjectId: input.integration.id,
    details: {
      provider: input.integration.provider,
      ...(input.integration.name ? { name: input.integration.name } : {}),
      ...(changed.length > 0 ? { changed, values } : {}),
      ...(input.tokenLast4 ? { token_last4: input.tokenLast4.slice(-4) } : {}),
      ...(input.outcome ? { outcome: input.outcome } : {}),
    },
    ...(input.ip ? { ip: input.ip } : {}),
  });
}

export async function recordSettingsChange(
  audit: AuditLog,
  input: AdminChangeContext & {
    /** which settings, e.g. "llm" */
    section: string;
    change?: 'updated' | 'tested' | 'cleared';
    fields: Record<string, unknown>;
    /** the last 4 characters of a new API key, as the API shows them */
    apiKeyLast4?: string;
    outcome?: string;
  },
): Promise<void> {
  const { values, changed } = describeChanges(input.fields, shownSettingsFields);
  await audit.record({
    actorId: input.actor.id,
    action: `settings.${input.section}_${input.change ?? 'updated'}`,
    subjectType: 'settings',
    subjectId: input.section,
    details: { changed, values, ...(input.apiKeyLast4 ? { api_key_last4: input.apiKeyLast4.slice(-4) } : {}), ...(input.outcome ? { outcome: input.outcome } : {}) },
    ...(input.ip ? { ip: input.ip } : {}),
  });
}
