import type { JenkinsCallCredentials } from '../../platform/ports/tool-gateway.ts';

/**
 * Jenkins tools take `api_url` and `credentials_ref`, which the engine injects from the configured
 * integration. The model never sees them (stripped from schemas) and they never appear in events.
 */
export const engineInjectedJenkinsArgs = ['api_url', 'credentials_ref'] as const;

/** The active Jenkins integration, as a tool call needs it. */
export interface JenkinsIntegration {
  apiUrl: string;
  /** the integration's name as the admin gave it (Integrations page), so a card can say which Jenkins */
  name?: string;
  /** "namespace/secret-name" of the Secret holding username/api-token, or "skyflo/<integration id>" */
  credentialsRef: string;
  /** credentials the engine keeps itself (encrypted at rest), sent to the MCP server beside the arguments */
  credentials?: JenkinsCallCredentials;
}

export function isJenkinsTool(name: string): boolean {
  return name.startsWith('jenkins_');
}

/** Removes the engine-injected parameters from a tool's JSON schema before the model sees it. */
export function stripJenkinsSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = { ...((schema['properties'] as Record<string, unknown> | undefined) ?? {}) };
  for (const key of engineInjectedJenkinsArgs) delete properties[key];
  const required = Array.isArray(schema['required'])
    ? (schema['required'] as string[]).filter((key) => !(engineInjectedJenkinsArgs as readonly string[]).includes(key))
    : undefined;
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** Arguments safe to show (events, timeline, approval record): without the injected ones. */
export function stripJenkinsArgs(args: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...args };
  for (const key of engineInjectedJenkinsArgs) delete copy[key];
  return copy;
}

/** The arguments actually sent: what the model asked for, with the integration's values overriding any it invented. */
export function injectJenkinsArgs(args: Record<string, unknown>, integration: JenkinsIntegration): Record<string, unknown> {
  return { ...stripJenkinsArgs(args), api_url: integration.apiUrl, credentials_ref: integration.credentialsRef };
}

/**
 * Which Jenkins a call goes to, as its approval card says it (issue 37 item 8): the integration's name and the host of
 * its URL. Only the host: a URL may carry user info, which is never shown.
 */
export function jenkinsTargetLine(integration: Pick<JenkinsIntegration, 'apiUrl' | 'name'>): string {
  let host: string;
  try {
    host = new URL(integration.apiUrl).host;
  } catch {
    host = 'an unreadable URL';
  }
  return integration.name ? `Jenkins: ${integration.name} (${host})` : `Jenkins: ${host}`;
}
