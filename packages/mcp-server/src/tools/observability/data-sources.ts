/**
 * The Prometheus and Loki data sources an observability tool call uses. The engine keeps them as integrations (URL,
 * sealed bearer or basic credentials, per cluster) and hands the conversation's cluster's over with each call in
 * `_meta["skyflo.ai/observability-sources"]`, like the Jenkins credentials: only its own trusted connection may, the
 * credentials never sit in the arguments (so they are never displayed, hashed or recorded), and a request goes only
 * to the URL saved with them, through the pinned egress fetch (no link-local or metadata address).
 */
import { ToolInputError, toolError } from '../../contract/errors.ts';
import { defaultIntegrationResponseMaxBytes, IntegrationUrlRefusedError, readCappedText, ResponseTooLargeError } from '@skyflo/connectors/egress';
import type { ToolDeps } from '../../deps/deps.ts';
import { withToolDeps } from '../../deps/deps.ts';
import type { ToolCallContext, ToolOutput } from '../../contract/tool-definition.ts';

import { mcpMetaKeys, observabilitySourcesSchema as sourcesSchema, type ObservabilitySource, type ObservabilitySources } from '@skyflo/protocol';
import { z } from 'zod';

export const observabilitySourcesMetaKey = mcpMetaKeys.observabilitySources;
export type { ObservabilitySource, ObservabilitySources } from '@skyflo/protocol';
export type SourceKind = keyof ObservabilitySources;

/** Parses the request's `_meta` value; undefined when absent, an error message when malformed (never echoing it). */
export function readObservabilitySources(value: unknown): ObservabilitySources | undefined | string {
  if (value === undefined) return undefined;
  const parsed = sourcesSchema.safeParse(value);
  return parsed.success ? parsed.data : `${observabilitySourcesMetaKey} must be {"prometheus"?: {url, auth?}, "loki"?: {url, auth?}} with auth {type: "bearer", token} or {type: "basic", username, password}`;
}

export function withEngineObservabilitySources(deps: ToolDeps, sources: ObservabilitySources): ToolDeps {
  return withToolDeps(deps, { observabilitySources: sources });
}

const labelOf: Record<SourceKind, string> = { prometheus: 'Prometheus', loki: 'Loki' };
export const defaultObservabilityTimeoutMs = 15_000;

function authorization(source: ObservabilitySource): Record<string, string> {
  if (!source.auth) return {};
  if (source.auth.type === 'bearer') return { authorization: `Bearer ${source.auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${source.auth.username}:${source.auth.password}`).toString('base64')}` };
}

/** The source's URL as shown to the model and the UI: no user info, no query. */
export function publicUrl(source: ObservabilitySource): string {
  const url = new URL(source.url);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export type SourceAnswer = { ok: true; json: any; url: string; warnings: string[] } | { ok: false; output: ToolOutput };

const maxWarnings = 20;
const maxWarningChars = 500;

/**
 * The answer's `warnings` (a Thanos or Mimir partial response: a store that did not answer, a limit hit) and `infos`
 * (Prometheus 2.50+ annotations such as "metric might not be a counter"), which the API sends beside a `success`
 * status: dropped, a partial answer reads like a whole one.
 */
export function warningsOf(json: any): string[] {
  const listed = [...(Array.isArray(json?.warnings) ? json.warnings : []), ...(Array.isArray(json?.infos) ? json.infos : [])];
  return listed
    .filter((entry): entry is string => typeof entry === 'string' && entry.trim() !== '')
    .slice(0, maxWarnings)
    .map((entry) => (entry.length > maxWarningChars ? `${entry.slice(0, maxWarningChars)}…` : entry));
}

/** The lines the model reads after the result; none without warnings. */
export function warningLines(kind: SourceKind, warnings: string[]): string[] {
  if (warnings.length === 0) return [];
  return [`${labelOf[kind]} warned that this answer may be partial or approximate:`, ...warnings.map((warning) => `- ${warning}`)];
}

/**
 * GET (or form POST, for long queries) `path` on the configured source. Every failure is a result that names the
 * source and the status, never the credentials: a 401/403 says they were refused, a 4xx carries the server's error.
 */
export async function querySource(kind: SourceKind, path: string, params: URLSearchParams, deps: ToolDeps, context: ToolCallContext): Promise<SourceAnswer> {
  const source = deps.observabilitySources?.[kind];
  const label = labelOf[kind];
  if (!source) {
    return { ok: false, output: toolError(`No ${label} data source is configured for this cluster.`, `an admin adds one in Settings → Integrations (${kind}, its URL and a read-only token)`, 'NOT_FOUND') };
  }
  const base = publicUrl(source);
  const url = `${base}${path}`;
  const fetcher = deps.observabilityFetch ?? fetch;
  const timeoutMs = deps.settings.observabilityTimeoutMs ?? defaultObservabilityTimeoutMs;
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
  const body = params.toString();
  // Prometheus and Loki take a form POST for the same parameters; used when a query would make a very long URL.
  const post = body.length > 2000;
  let response: Response;
  try {
    response = await fetcher(post ? url : `${url}?${body}`, {
      method: post ? 'POST' : 'GET',
      // the tenant of a multi-tenant Loki or Mimir, per data source (issue 78)
      headers: { accept: 'application/json', ...authorization(source), ...(source.org_id ? { 'x-scope-orgid': source.org_id } : {}), ...(post ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(post ? { body } : {}),
      signal,
    });
  } catch (error) {
    if (error instanceof IntegrationUrlRefusedError) return { ok: false, output: toolError(error.message, `change the ${label} URL of the integration in Settings → Integrations`, 'FORBIDDEN') };
    if (context.signal.aborted) return { ok: false, output: toolError(`The ${label} request was cancelled.`, undefined, 'FAILED') };
    const timedOut = signal.aborted;
    return {
      ok: false,
      output: toolError(
        timedOut ? `${label} at ${base} did not answer within ${Math.round(timeoutMs / 1000)} s.` : `${label} at ${base} could not be reached: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}.`,
        `check the ${label} integration's URL, or narrow the query`,
        timedOut ? 'TIMEOUT' : 'FAILED',
      ),
    };
  }
  let text: string;
  try {
    text = await readCappedText(response, { maxBytes: deps.settings.integrationResponseMaxBytes ?? defaultIntegrationResponseMaxBytes, what: `${label} at ${base}` });
  } catch (error) {
    if (error instanceof ResponseTooLargeError) return { ok: false, output: toolError(error.message, 'narrow the query: a shorter range, a larger step, or fewer series (aggregate with sum by (…) or topk)', 'RESPONSE_TOO_LARGE') };
    if (context.signal.aborted) return { ok: false, output: toolError(`The ${label} request was cancelled.`, undefined, 'FAILED') };
    return { ok: false, output: toolError(`${label} at ${base} stopped answering: ${(error as Error).message}.`, `retry, or narrow the query`, signal.aborted ? 'TIMEOUT' : 'FAILED') };
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.status === 401 && /no org id/i.test(text)) {
    return { ok: false, output: toolError(`${label} at ${base} is multi-tenant and was sent no tenant (X-Scope-OrgID).`, `an admin sets the data source's tenant (metadata.org_id) in Settings → Integrations`, 'FORBIDDEN') };
  }
  if (response.status === 401 || response.status === 403) {
    return { ok: false, output: toolError(`${label} at ${base} refused the integration's credentials (HTTP ${response.status}).`, 'an admin checks the token in Settings → Integrations (packages/mcp-server/README.md lists the permissions a read-only token needs)', 'FORBIDDEN') };
  }
  if (response.status >= 400 || json?.status === 'error' || json === undefined) {
    const reason = typeof json?.error === 'string' ? json.error : text.trim().slice(0, 500) || `HTTP ${response.status}`;
    if (response.status === 400 || response.status === 422) throw new ToolInputError(`${label} refused the query: ${reason}`, { hint: 'fix the query (the error names the problem)' });
    return { ok: false, output: toolError(`${label} at ${base} answered HTTP ${response.status}: ${reason}`, undefined, 'FAILED') };
  }
  return { ok: true, json, url: base, warnings: warningsOf(json) };
}

const relative = /^([0-9]+)(s|m|h|d|w)$/;
const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "now", "1h" (that long ago), an RFC 3339 date or unix seconds → unix seconds. */
export function resolveTime(value: string | undefined, name: string, now: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (value === 'now') return now;
  const ago = relative.exec(value);
  if (ago) return now - Number(ago[1]) * unitSeconds[ago[2]!]!;
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new ToolInputError(`${name} must be "now", a duration ago such as "1h", an RFC 3339 date or unix seconds; got "${value}".`);
  return parsed / 1000;
}

export const timeField = (what: string) => z.string().max(40).optional().describe(`${what}: "now", how long ago ("30m", "6h", "2d"), an RFC 3339 date or unix seconds`);
