/**
 * The typed client for the engine's /api/v1 (same origin; the session lives in HttpOnly cookies the browser sends,
 * so nothing here ever sees a token). A 401 triggers one refresh (single-flight across concurrent requests) and a
 * retry; when the refresh fails too, `onUnauthorized` sends the user to the login page.
 * `skyflo` is the protocol's typed client with this session: the chat, approvals and history routes go through it
 * (a route change is a compile error here as in the CLI); `api`/`apiResponse` serve the remaining pages.
 */
import { createSkyfloClient, SkyfloApiError } from '@skyflo/protocol/client';

export const API_BASE = '/api/v1';

/** An engine refusal (status + its `detail`): one class for the typed client's and this module's requests. */
export const ApiError = SkyfloApiError;
export type ApiError = SkyfloApiError;

type UnauthorizedListener = () => void;
let unauthorizedListener: UnauthorizedListener | undefined;
/** Set once by the app: where a session that cannot be refreshed goes (the login page, with a way back). */
export function onUnauthorized(listener: UnauthorizedListener): void {
  unauthorizedListener = listener;
}

let refreshing: Promise<boolean> | undefined;
/** Rotates the refresh cookie and gets a new access cookie; concurrent callers share one request. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch(`${API_BASE}/auth/refresh`, { method: 'POST', credentials: 'same-origin' })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  const url = new URL(response.url || API_BASE, 'http://localhost');
  return new SkyfloApiError(response.status, detail, { method: '', path: url.pathname }, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** do not refresh and retry on 401 (the auth endpoints themselves) */
  noRefresh?: boolean;
}

/** fetch with the session: JSON body, 401 → refresh → retry once → onUnauthorized. Returns the raw response when ok. */
export async function apiResponse(path: string, options: RequestOptions = {}): Promise<Response> {
  const send = () =>
    fetch(`${API_BASE}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      credentials: 'same-origin',
      headers: {
        ...(options.body !== undefined && !(options.body instanceof URLSearchParams) ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : options.body instanceof URLSearchParams ? options.body : JSON.stringify(options.body),
      signal: options.signal,
    });
  let response = await send();
  if (response.status === 401 && !options.noRefresh) {
    if (await refreshSession()) response = await send();
    if (response.status === 401) {
      unauthorizedListener?.();
      throw await errorFrom(response);
    }
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(path, options);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The typed client on this page's session (cookies; a 401 refreshes once, then sends the user to log in). */
export const skyflo = createSkyfloClient({ baseUrl: '', auth: { renew: refreshSession, onUnauthorized: () => unauthorizedListener?.() } });
