/**
 * Jenkins credentials handed over by the engine with one tool call (`_meta["skyflo.ai/jenkins-credentials"]`), for
 * integrations the engine keeps encrypted in its own database. Only trusted callers (the engine's own connection:
 * in-process, or HTTP with the server's auth token) may do this: anyone else could otherwise aim a tool at a Jenkins
 * of their choice while the call looks like the integration's. The credentials live in `_meta`, never in the
 * arguments, so they are not part of what is displayed, hashed for approval or recorded.
 */
import type { JenkinsCredentialResolver, ToolDeps } from '../deps.ts';
import { withToolDeps } from '../deps.ts';

export const jenkinsCredentialsMetaKey = 'skyflo.ai/jenkins-credentials';

export interface EngineJenkinsCredentials {
  api_url: string;
  username: string;
  api_token: string;
}

/** Parses the request's `_meta` value; undefined when absent, an error message when malformed. */
export function readJenkinsCredentials(value: unknown): EngineJenkinsCredentials | undefined | string {
  if (value === undefined) return undefined;
  const candidate = value as Partial<Record<keyof EngineJenkinsCredentials, unknown>> | null;
  const fields = ['api_url', 'username', 'api_token'] as const;
  if (!candidate || typeof candidate !== 'object' || !fields.every((field) => typeof candidate[field] === 'string' && candidate[field] !== '')) {
    return `${jenkinsCredentialsMetaKey} must be {"api_url", "username", "api_token"} (non-empty strings)`;
  }
  return { api_url: candidate.api_url as string, username: candidate.username as string, api_token: candidate.api_token as string };
}

/** The same deps, resolving every credentials_ref of this call to the engine's credentials. */
export function withEngineJenkinsCredentials(deps: ToolDeps, credentials: EngineJenkinsCredentials): ToolDeps {
  const resolver: JenkinsCredentialResolver = {
    resolve: async () => ({ apiUrl: credentials.api_url, username: credentials.username, apiToken: credentials.api_token }),
  };
  return withToolDeps(deps, { jenkinsCredentials: resolver });
}
