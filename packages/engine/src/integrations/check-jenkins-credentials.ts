/**
 * Checks Jenkins credentials the way an admin would by hand (whoAmI with the token), and says in plain words what
 * failed: the address does not answer, it is not Jenkins, or Jenkins refused the username/token.
 */
import { createJenkinsClient } from '@skyflo/mcp-server/jenkins-client';

export interface JenkinsCredentialsToCheck {
  apiUrl: string;
  username: string;
  apiToken: string;
}

export type JenkinsCheckResult = { ok: true; latencyMs: number; user: string } | { ok: false; latencyMs: number; error: string };

export type CheckJenkinsCredentials = (credentials: JenkinsCredentialsToCheck) => Promise<JenkinsCheckResult>;

export function createJenkinsCredentialCheck(options: { timeoutMs: number; fetch?: typeof fetch }): CheckJenkinsCredentials {
  return async ({ apiUrl, username, apiToken }) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const client = createJenkinsClient({ apiUrl, username, apiToken, timeoutMs: options.timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) });
    let response;
    try {
      response = await client.get('whoAmI/api/json');
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError') return { ok: false, latencyMs: elapsed(), error: `${client.baseUrl.origin} did not answer within ${Math.round(options.timeoutMs / 1000)} s; check the URL and that Jenkins is up` };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message;
      return { ok: false, latencyMs: elapsed(), error: `cannot reach ${client.baseUrl.origin}${reason ? ` (${reason})` : ''}; check the URL and that Jenkins is up` };
    }
    const isJenkins = response.headers.get('x-jenkins') !== null;
    if (!isJenkins) return { ok: false, latencyMs: elapsed(), error: `${client.baseUrl.href} answered (HTTP ${response.status}) but is not Jenkins (no X-Jenkins header); check the URL` };
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
