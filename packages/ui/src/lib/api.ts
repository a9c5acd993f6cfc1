/**
 * The typed client for the engine's /api/v1 (same origin; the session lives in HttpOnly cookies the browser sends,
 * so nothing here ever sees a token). A 401 triggers one refresh (single-flight across concurrent requests) and a
 * retry; when the refresh fails too, `onUnauthorized` sends the user to the login page.
 */
export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get notAvailable(): boolean {
    return this.status === 404;
  }
}

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
  return new ApiError(response.status, detail, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
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
