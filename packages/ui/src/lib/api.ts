/**
 * The typed client for the engine's /api/v1 (same origin; the session lives in HttpOnly cookies the browser sends,
 * so nothing here ever sees a token). A 401 triggers one refresh (single-flight across concurrent requests) and a
 * retry; when the refresh fails too, `onUnauthorized` sends the user to the login page.
 * `skyflo` is the protocol's typed client with this session, the one way the pages call the engine: a route change is
 * a compile error here as in the CLI, and every JSON answer is checked with the protocol's schema, so an answer of
 * the wrong shape is an error the page shows ("… answered something this client cannot read") instead of a crash.
 */
import { createSkyfloClient, SkyfloApiError, SkyfloClientError } from '@skyflo/protocol/client';

/** for what is not a fetch: the notification EventSource and the audit export's download links */
export const API_BASE = '/api/v1';

/** An engine refusal (status + its `detail`): one class for the typed client's and this module's requests. */
export const ApiError = SkyfloApiError;
export type ApiError = SkyfloApiError;

/** An answer the protocol's schema refuses (the typed client's MALFORMED_RESPONSE): the page shows its message. */
export const isMalformedAnswer = (error: unknown): boolean => error instanceof SkyfloClientError && error.code === 'MALFORMED_RESPONSE';

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

/** The typed client on this page's session (cookies; a 401 refreshes once, then sends the user to log in). */
export const skyflo = createSkyfloClient({ baseUrl: '', auth: { renew: refreshSession, onUnauthorized: () => unauthorizedListener?.() } });
