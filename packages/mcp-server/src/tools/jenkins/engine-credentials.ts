/**
 * Jenkins credentials handed over by the engine with one tool call (`_meta["skyflo.ai/jenkins-credentials"]`), for
 * integrations the engine keeps encrypted in its own database. Only trusted callers (the engine's own connection:
 * in-process, or HTTP with the server's auth token) may do this: anyone else could otherwise aim a tool at a Jenkins
 * of their choice while the call looks like the integration's. The credentials live in `_meta`, never in the
 * arguments, so they are not part of what is displayed, hashed for approval or recorded.
 */
import { mcpMetaKeys, toolCallJenkinsCredentialsSchema, type ToolCallJenkinsCredentials } from '@skyflo/protocol';
import type { JenkinsCredentialResolver, ToolDeps } from '../../deps/deps.ts';
import { withToolDeps } from '../../deps/deps.ts';

/** Parses the request's `_meta` value; undefined when absent, an error message when malformed. */
export function readJenkinsCredentials(value: unknown): ToolCallJenkinsCredentials | undefined | string {
  if (value === undefined) return undefined;
  const parsed = toolCallJenkinsCredentialsSchema.safeParse(value);
  return parsed.success ? parsed.data : `${mcpMetaKeys.jenkinsCredentials} must be {"api_url", "username", "api_token"} (non-empty strings)`;
}

/** The same deps, resolving every credentials_ref of this call to the engine's credentials. */
export function withEngineJenkinsCredentials(deps: ToolDeps, credentials: ToolCallJenkinsCredentials): ToolDeps {
  const resolver: JenkinsCredentialResolver = {
    resolve: async () => ({ apiUrl: credentials.api_url, username: credentials.username, apiToken: credentials.api_token }),
  };
  return withToolDeps(deps, { jenkinsCredentials: resolver });
}
