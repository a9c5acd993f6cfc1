/**
 * What every Jenkins tool does around its requests: check and resolve the engine-injected credentials
 * reference, build a client, and turn HTTP statuses and network failures into clear results.
 */
import { ToolInputError, toolError, type ToolErrorCode } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import type { ToolCallContext, ToolCallResolution, ToolOutput } from '../../contract/tool-definition.ts';
import { createJenkinsClient, JenkinsClientError, parseJenkinsUrl as parseUrl, type JenkinsClient, type JenkinsResponse } from '@skyflo/connectors/jenkins';
import { buildSegment, jobPath } from './job-path.ts';
import { IntegrationUrlRefusedError, ResponseTooLargeError } from '@skyflo/connectors/egress';

const credentialsRefPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}\/[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export const defaultJenkinsTimeoutMs = 15_000;

/** The shared client's refusals (a bad URL, a redirect to another host) are the tool's input errors, same words. */
function asToolInputError(error: unknown): unknown {
  return error instanceof JenkinsClientError ? new ToolInputError(error.message, { code: error.code, ...(error.hint !== undefined ? { hint: error.hint } : {}) }) : error;
}

function parseJenkinsUrl(apiUrl: string): URL {
  try {
    return parseUrl(apiUrl);
  } catch (error) {
    throw asToolInputError(error);
  }
}

export function assertCredentialsRef(reference: string): void {
  if (!credentialsRefPattern.test(reference)) {
    throw new ToolInputError('credentials_ref must be "namespace/name" (letters, digits, "-", "." and "_").', {
      hint: 'this field is filled in by Skyflo from the Jenkins integration; configure the integration in Settings → Integrations',
    });
  }
}

/**
 * The client for a call: resolves the engine-injected credentials reference to the integration (URL and
 * credentials) and checks a caller-given api_url against it. A resolver failure comes back as a result.
 */
export async function jenkinsClientFor(
  input: { api_url?: string; credentials_ref: string },
  deps: ToolDeps,
  context: ToolCallContext,
): Promise<{ ok: true; client: JenkinsClient; timeoutMs: number } | { ok: false; output: ToolOutput }> {
  const requested = input.api_url === undefined ? undefined : parseJenkinsUrl(input.api_url);
  assertCredentialsRef(input.credentials_ref);
  let credentials;
  try {
    credentials = await deps.jenkinsCredentials.resolve({ ...(input.api_url !== undefined ? { apiUrl: input.api_url } : {}), credentialsRef: input.credentials_ref });
  } catch (error) {
    if (error instanceof ToolInputError) throw error;
    // The resolver's message may name the Secret but never holds its values.
    return {
      ok: false,
      output: toolError(`Could not read the Jenkins credentials ${input.credentials_ref}: ${(error as Error).message}`, 'check that the integration Secret exists with keys url, username and api-token', 'FAILED'),
    };
  }
  // Why: the credentials belong to the integration's Jenkins. A caller-chosen api_url that is not that Jenkins
  // would receive them, so a different one is refused before any request (the URL is compared normalised).
  const integrationUrl = parseJenkinsUrl(credentials.apiUrl);
  if (requested && requested.href !== integrationUrl.href) {
    throw new ToolInputError(`api_url ${requested.origin}${requested.pathname} is not the Jenkins of the integration ${input.credentials_ref}; its credentials are only sent to the integration's own URL.`, {
      hint: 'omit api_url (Skyflo uses the integration URL), or change the Jenkins URL of the integration in Settings → Integrations',
      code: 'FORBIDDEN',
    });
  }
  const timeoutMs = deps.settings.jenkinsTimeoutMs ?? defaultJenkinsTimeoutMs;
  return { ok: true, client: createJenkinsClient({ apiUrl: integrationUrl.href, username: credentials.username, apiToken: credentials.apiToken, timeoutMs, signal: context.signal, ...(deps.jenkinsFetch ? { fetch: deps.jenkinsFetch } : {}), ...(deps.settings.integrationResponseMaxBytes ? { maxResponseBytes: deps.settings.integrationResponseMaxBytes } : {}) }), timeoutMs };
}

/** A network failure (timeout, cancel, refused) as the result to return. */
export function networkFailure(error: unknown, client: JenkinsClient, timeoutMs: number): ToolOutput {
  if (error instanceof IntegrationUrlRefusedError) return toolError(error.message, 'change the Jenkins URL of the integration in Settings → Integrations', 'FORBIDDEN');
  if (error instanceof ResponseTooLargeError) return toolError(error.message, 'ask for less: a build log from a later start offset, or a job with fewer builds or parameters', 'RESPONSE_TOO_LARGE');
  const name = (error as Error).name;
  if (name === 'TimeoutError') return toolError(`Jenkins at ${client.baseUrl.origin} did not answer within ${Math.round(timeoutMs / 1000)} s.`, 'check that Jenkins is up and retry', 'TIMEOUT');
  if (name === 'AbortError') return toolError('The Jenkins request was cancelled.', undefined, 'FAILED');
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return toolError(`Jenkins at ${client.baseUrl.origin} is unreachable${code ? ` (${code})` : ''}.`, 'check the Jenkins URL of the integration and that the MCP server can reach it', 'UNAVAILABLE');
}

export async function runJenkins(
  input: { api_url?: string; credentials_ref: string },
  deps: ToolDeps,
  context: ToolCallContext,
  work: (client: JenkinsClient) => Promise<ToolOutput>,
): Promise<ToolOutput> {
  const opened = await jenkinsClientFor(input, deps, context);
  if (!opened.ok) return opened.output;
  try {
    return await work(opened.client);
  } catch (error) {
    if (error instanceof ToolInputError || error instanceof JenkinsClientError) throw asToolInputError(error);
    return networkFailure(error, opened.client, opened.timeoutMs);
  }
}

/**
 * For the resolve and preview hooks, which must throw rather than return: runs `work` with the client and turns
 * any failure result into a ToolInputError carrying its message and code.
 */
export async function withJenkins<T>(
  input: { api_url?: string; credentials_ref: string },
  deps: ToolDeps,
  context: ToolCallContext,
  work: (client: JenkinsClient) => Promise<{ ok: true; value: T } | { ok: false; output: ToolOutput }>,
): Promise<T> {
  const fail = (output: ToolOutput): never => {
    const error = (output.structured?.['error'] ?? {}) as { code?: ToolErrorCode; message?: string; hint?: string };
    throw new ToolInputError(error.message ?? output.text, { code: error.code ?? 'FAILED', hint: error.hint });
  };
  const opened = await jenkinsClientFor(input, deps, context);
  if (!opened.ok) return fail(opened.output);
  let outcome;
  try {
    outcome = await work(opened.client);
  } catch (error) {
    if (error instanceof ToolInputError || error instanceof JenkinsClientError) throw asToolInputError(error);
    return fail(networkFailure(error, opened.client, opened.timeoutMs));
  }
  return outcome.ok ? outcome.value : fail(outcome.output);
}

/**
 * The `resolve` hook of the Jenkins write tools that take a build: a permalink ("lastBuild", the default) becomes
 * the build number it points at now. Why: "lastBuild" moves when a new build starts, so an approval to stop or
 * relabel "the last build" must name which one.
 */
export async function resolveBuildNumber(
  input: { api_url?: string; credentials_ref: string; jobFullName: string; build?: number | string },
  deps: ToolDeps,
  context: ToolCallContext,
): Promise<ToolCallResolution> {
  const segment = buildSegment(input.build);
  if (/^\d+$/.test(segment)) return { set: {}, notes: [] };
  const number = await withJenkins(input, deps, context, async (client) => {
    const response = await client.get(`${jobPath(input.jobFullName)}/${segment}/api/json`, { tree: 'number' });
    if (response.status === 404) {
      return { ok: false, output: toolError(`Job ${input.jobFullName} has no ${segment} (no build matches it yet).`, 'list builds with jenkins_get_last_builds', 'NOT_FOUND') };
    }
    if (response.status !== 200) return { ok: false, output: httpFailure(response, `find ${segment} of ${input.jobFullName}`) };
    const value = (response.json as { number?: unknown } | undefined)?.number;
    if (typeof value !== 'number') return { ok: false, output: toolError(`Jenkins did not say which build ${segment} of ${input.jobFullName} is.`, 'pass a build number') };
    return { ok: true, value };
  });
  return { set: { build: number }, notes: [`build: ${input.build ?? 'lastBuild (default)'} → ${number}`] };
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
