/**
 * A small Jenkins REST client on fetch: basic auth, a CSRF crumb before every POST, a timeout, and
 * redirects followed by hand so credentials are never sent to another host. The MCP server's Jenkins tools and the
 * engine's credential check both use it.
 */
import { defaultIntegrationResponseMaxBytes, readCappedText } from '../egress/capped-body.ts';

export interface JenkinsResponse {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body when the response is JSON */
  json?: unknown;
  /** absolute URL of a Location header */
  location?: string;
}

export interface JenkinsClient {
  baseUrl: URL;
  get(path: string, query?: Record<string, string | number | undefined>): Promise<JenkinsResponse>;
  post(path: string, form?: Record<string, string>, query?: Record<string, string | number | undefined>): Promise<JenkinsResponse>;
  /** GET of an absolute URL Jenkins handed back (queue item); refused unless it is on the same origin */
  getAbsolute(url: string): Promise<JenkinsResponse>;
}

export interface JenkinsClientOptions {
  apiUrl: string;
  username: string;
  apiToken: string;
  timeoutMs: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** the most bytes read from one answer (default 16 MiB); past it the request fails with ResponseTooLargeError */
  maxResponseBytes?: number;
}

const maxRedirects = 3;

/**
 * A refusal of the client's own (a bad URL, a redirect to another host): the caller's input is wrong, not Jenkins.
 * `code` is what the MCP server's tools answer with (INVALID_INPUT or FORBIDDEN), `hint` what to change.
 */
export class JenkinsClientError extends Error {
  readonly code: 'INVALID_INPUT' | 'FORBIDDEN';
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; code?: 'INVALID_INPUT' | 'FORBIDDEN' } = {}) {
    super(message);
    this.name = 'JenkinsClientError';
    this.code = options.code ?? 'INVALID_INPUT';
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

export function parseJenkinsUrl(apiUrl: string): URL {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new JenkinsClientError(`Jenkins api_url ${JSON.stringify(apiUrl)} is not a valid URL.`, { hint: 'fix the URL of the Jenkins integration in Settings → Integrations' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new JenkinsClientError('Jenkins api_url must use http or https.');
  if (url.username || url.password) throw new JenkinsClientError('Jenkins api_url must not contain credentials; they come from the integration Secret.');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}

export function createJenkinsClient(options: JenkinsClientOptions): JenkinsClient {
  const baseUrl = parseJenkinsUrl(options.apiUrl);
  const fetchImpl = options.fetch ?? fetch;
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.apiToken}`).toString('base64')}`;
  let crumb: Record<string, string> | undefined;

  const resolve = (path: string, query?: Record<string, string | number | undefined>): URL => {
    const url = new URL(path.replace(/^\//, ''), baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  };

  async function send(url: URL, init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }): Promise<JenkinsResponse> {
    let current = url;
    for (let hop = 0; ; hop += 1) {
      const sameOrigin = current.origin === baseUrl.origin;
      const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
      // Why: a redirect to another host (open redirect, misconfigured proxy) must not receive the token.
      if (sameOrigin) headers.Authorization = authorization;
      const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
      const response = await fetchImpl(current, { method: init.method, headers, body: init.body, redirect: 'manual', signal: AbortSignal.any(signals) });
      const location = response.headers.get('location') ?? undefined;
      const absoluteLocation = location ? new URL(location, current).toString() : undefined;
      if (init.method === 'GET' && absoluteLocation && [301, 302, 303, 307, 308].includes(response.status) && hop < maxRedirects) {
        // a redirect's body is never read (it could be any size): dropping it ends the request
        await response.body?.cancel().catch(() => undefined);
        current = new URL(absoluteLocation);
        continue;
      }
      const text = await readCappedText(response, { maxBytes: options.maxResponseBytes ?? defaultIntegrationResponseMaxBytes, what: `Jenkins at ${baseUrl.origin}` });
      let json: unknown;
      if ((response.headers.get('content-type') ?? '').includes('json') && text) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      return { status: response.status, headers: response.headers, text, json, location: absoluteLocation };
    }
  }

  async function crumbHeaders(): Promise<Record<string, string>> {
    if (crumb) return crumb;
    const response = await send(resolve('crumbIssuer/api/json'), { method: 'GET' });
    // 404: CSRF protection is off (or the crumb issuer plugin is absent) — POST without a crumb.
    if (response.status === 404) crumb = {};
    else if (response.status === 401) return {};
    else {
      const body = response.json as { crumbRequestField?: string; crumb?: string } | undefined;
      crumb = body?.crumbRequestField && body.crumb ? { [body.crumbRequestField]: body.crumb } : {};
    }
    return crumb;
  }

  return {
    baseUrl,
    get: (path, query) => send(resolve(path, query), { method: 'GET' }),
    async post(path, form, query) {
      const headers: Record<string, string> = { ...(await crumbHeaders()), 'Content-Type': 'application/x-www-form-urlencoded' };
      return send(resolve(path, query), { method: 'POST', headers, body: new URLSearchParams(form ?? {}).toString() });
    },
    async getAbsolute(url) {
      const target = new URL(url);
      if (target.origin !== baseUrl.origin) {
        throw new JenkinsClientError(`Jenkins pointed to ${target.origin}, which is not the configured Jenkins (${baseUrl.origin}); not following it with the integration's credentials.`, {
          hint: 'set the Jenkins URL (Manage Jenkins → System → Jenkins URL) to the address Skyflo uses',
          code: 'FORBIDDEN',
        });
      }
      return send(target, { method: 'GET' });
    },
  };
}
