/**
 * Checks Jenkins credentials the way an admin would by hand (whoAmI with the token), and says in plain words what
 * failed: the URL is one integrations may not use, it did not answer as Jenkins, or Jenkins refused the
 * username/token.
 *
 * Why one message for "unreachable", "timed out" and "answered but is not Jenkins", and no status code: each
 * distinct answer about a host that is not Jenkins told an admin-role caller which ports are open on internal hosts
 * (a port scanner with the engine's network position). Only a server that identifies as Jenkins gets specifics.
 */
import { createJenkinsClient } from '@skyflo/connectors/jenkins';
import { createIntegrationEgress, IntegrationUrlRefusedError, smallAnswerMaxBytes } from './integration-egress.ts';
import type { ResolveHost } from './integration-url-guard.ts';

export interface JenkinsCredentialsToCheck {
  apiUrl: string;
  username: string;
  apiToken: string;
}

export type JenkinsCheckResult = { ok: true; latencyMs: number; user: string } | { ok: false; latencyMs: number; error: string };

export type CheckJenkinsCredentials = (credentials: JenkinsCredentialsToCheck) => Promise<JenkinsCheckResult>;

export const notJenkinsMessage = 'the URL did not answer as a Jenkins server; check the URL (the Jenkins root, e.g. https://jenkins.example.com/) and that Jenkins is up';

/** `resolve`: how host names resolve, for the URL check and for connecting (default: the system's DNS). */
export function createJenkinsCredentialCheck(options: { timeoutMs: number; resolve?: ResolveHost }): CheckJenkinsCredentials {
  // Every hop is checked and pinned (the client follows redirects by hand, each through this fetch): a Jenkins URL
  // that redirects to the metadata service, or whose name answers the metadata address when connecting, is refused.
  const guardedFetch = createIntegrationEgress(options.resolve ? { resolve: options.resolve } : {}).fetch;

  return async ({ apiUrl, username, apiToken }) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let response;
    try {
      const client = createJenkinsClient({ apiUrl, username, apiToken, timeoutMs: options.timeoutMs, fetch: guardedFetch, maxResponseBytes: smallAnswerMaxBytes });
      response = await client.get('whoAmI/api/json');
    } catch (error) {
      if (error instanceof IntegrationUrlRefusedError) return { ok: false, latencyMs: elapsed(), error: error.message };
      return { ok: false, latencyMs: elapsed(), error: notJenkinsMessage };
    }
    const isJenkins = response.headers.get('x-jenkins') !== null;
    if (!isJenkins) return { ok: false, latencyMs: elapsed(), error: notJenkinsMessage };
    if (response.status === 401 || response.status === 403) {
      return { ok: false, latencyMs: elapsed(), error: `Jenkins refused the credentials (HTTP ${response.status}); check the username and API token (Jenkins: your user → Security → API Token)` };
    }
    if (response.status !== 200) return { ok: false, latencyMs: elapsed(), error: `Jenkins answered HTTP ${response.status} to whoAmI; check the URL points at the Jenkins root` };
    const body = response.json as { name?: unknown; anonymous?: unknown } | undefined;
    if (body?.anonymous === true || typeof body?.name !== 'string') {
      return { ok: false, latencyMs: elapsed(), error: 'Jenkins treated the request as anonymous: the username and API token were not accepted' };
    }
    return { ok: true, latencyMs: elapsed(), user: body.name };
  };
}
