/**
 * What every Jenkins tool does around its requests: check and resolve the engine-injected credentials
 * reference, build a client, and turn HTTP statuses and network failures into clear results.
 */
import { ToolInputError, toolError } from '../../errors.ts';
import type { ToolDeps } from '../deps.ts';
import type { ToolCallContext, ToolOutput } from '../tool-definition.ts';
import { createJenkinsClient, parseJenkinsUrl, type JenkinsClient, type JenkinsResponse } from './jenkins-client.ts';
import { buildSegment, jobPath } from './job-path.ts';

const credentialsRefPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}\/[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export const defaultJenkinsTimeoutMs = 15_000;

export function assertCredentialsRef(reference: string): void {
  if (!credentialsRefPattern.test(reference)) {
    throw new ToolInputError('credentials_ref must be "namespace/name" (letters, digits, "-", "." and "_").', {
      hint: 'this field is filled in by Skyflo from the Jenkins integration; configure the integration in Settings → Integrations',
    });
  }
}

export async function runJenkins(
  input: { api_url: string; credentials_ref: string },
  deps: ToolDeps,
  context: ToolCallContext,
  work: (client: JenkinsClient) => Promise<ToolOutput>,
): Promise<ToolOutput> {
  parseJenkinsUrl(input.api_url);
  assertCredentialsRef(input.credentials_ref);
  let credentials;
  try {
    credentials = await deps.jenkinsCredentials.resolve({ apiUrl: input.api_url, credentialsRef: input.credentials_ref });
  } catch (error) {
    if (error instanceof ToolInputError) throw error;
    // The resolver's message may name the Secret but never holds its values.
    return toolError(`Could not read the Jenkins credentials ${input.credentials_ref}: ${(error as Error).message}`, 'check that the integration Secret exists with keys username and api-token', 'FAILED');
  }
  const timeoutMs = deps.settings.jenkinsTimeoutMs ?? defaultJenkinsTimeoutMs;
  const client = createJenkinsClient({ apiUrl: credentials.apiUrl, username: credentials.username, apiToken: credentials.apiToken, timeoutMs, signal: context.signal });
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof ToolInputError) throw error;
    const name = (error as Error).name;
    if (name === 'TimeoutError') return toolError(`Jenkins at ${client.baseUrl.origin} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'check that Jenkins is up and retry', 'TIMEOUT');
    if (name === 'AbortError') return toolError('The Jenkins request was cancelled.', undefined, 'FAILED');
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return toolError(
      `Jenkins at ${client.baseUrl.origin} is unreachable${code ? ` (${code})` : ''}.`,
      'check the Jenkins URL of the integration and that the MCP server can reach it',
      'UNAVAILABLE',
    );
  }
}

/**
 * GET one build's JSON with a `tree` filter: the build tools differ only in the tree they ask for and what
 * they make of it. A failure comes back as the result to return.
 */
export async function getBuildJson<T>(
  client: JenkinsClient,
  input: { jobFullName: string; build?: number | string },
  tree: string,
): Promise<{ ok: true; build: T } | { ok: false; output: ToolOutput }> {
  const response = await client.get(`${jobPath(input.jobFullName)}/${buildSegment(input.build)}/api/json`, { tree });
  if (response.status !== 200) return { ok: false, output: httpFailure(response, `get build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`) };
  return { ok: true, build: response.json as T };
}

/** An HTTP failure from Jenkins as a result that says what to do. */
export function httpFailure(response: JenkinsResponse, what: string): ToolOutput {
  const byStatus: Record<number, { message: string; hint: string; code: 'FORBIDDEN' | 'NOT_FOUND' | 'FAILED' | 'UNAVAILABLE' }> = {
    401: { message: 'Jenkins rejected the credentials (HTTP 401)', hint: 'update the username/API token of the Jenkins integration', code: 'FORBIDDEN' },
    403: { message: 'the Jenkins user lacks permission (HTTP 403)', hint: 'grant the integration user the needed Jenkins permission (e.g. Job/Build, Job/Read)', code: 'FORBIDDEN' },
    404: { message: 'it was not found (HTTP 404)', hint: 'list jobs with jenkins_get_jobs and builds with jenkins_get_last_builds; job paths include folders, e.g. "team/app"', code: 'NOT_FOUND' },
    500: { message: 'Jenkins failed with an internal error (HTTP 500)', hint: 'check the Jenkins system log', code: 'FAILED' },
    503: { message: 'Jenkins is unavailable (HTTP 503)', hint: 'Jenkins may be starting or shutting down; retry in a minute', code: 'UNAVAILABLE' },
  };
  const known = byStatus[response.status];
  const detail = response.json ? '' : response.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  return toolError(
    `Failed to ${what}: ${known?.message ?? `Jenkins answered HTTP ${response.status}`}${detail && !known ? ` — ${detail}` : ''}.`,
    known?.hint ?? 'check the arguments and retry',
    known?.code ?? 'FAILED',
  );
}

export function isSuccess(status: number): boolean {
  return (status >= 200 && status < 300) || status === 302 || status === 303;
}

/** The {status, body} JSON every Jenkins tool returns, pretty-printed so the model can read it. */
export function jenkinsResult(status: number, body: unknown): ToolOutput {
  return { text: JSON.stringify({ status, body }, null, 2), structured: { status } };
}

/** Drops Jenkins' `_class` noise from API JSON; the model never needs Java class names. */
export function trimJenkinsJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(trimJenkinsJson);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => key !== '_class')
      .map(([key, child]) => [key, trimJenkinsJson(child)]),
  );
}
