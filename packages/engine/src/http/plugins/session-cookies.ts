import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACCESS_TOKEN_COOKIE } from './authenticate.ts';

export const REFRESH_TOKEN_COOKIE = 'refresh_token';

/** The refresh cookie is only sent to the auth routes, so it never rides along with ordinary API calls. */
const REFRESH_COOKIE_PATH = '/api/v1/auth';

/**
 * HttpOnly so page scripts cannot read the tokens; SameSite=Lax against cross-site form posts; Secure whenever
 * the request arrived over HTTPS.
 */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, session: { accessToken: string; accessTtlSeconds: number; refreshToken?: string; refreshTtlSeconds?: number }): void {
  const base = { httpOnly: true, sameSite: 'lax' as const, secure: request.protocol === 'https' };
  reply.setCookie(ACCESS_TOKEN_COOKIE, session.accessToken, { ...base, path: '/', maxAge: session.accessTtlSeconds });
  if (session.refreshToken) {
    reply.setCookie(REFRESH_TOKEN_COOKIE, session.refreshToken, { ...base, path: REFRESH_COOKIE_PATH, maxAge: session.refreshTtlSeconds });
  }
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(ACCESS_TOKEN_COOKIE, { path: '/' });
  reply.clearCookie(REFRESH_TOKEN_COOKIE, { path: REFRESH_COOKIE_PATH });
}
