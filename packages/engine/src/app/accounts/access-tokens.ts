import { jwtVerify, SignJWT } from 'jose';
import { roleNames, type AuthenticatedUser, type Role } from '../../platform/ports/index.ts';
import { createVerifiedTokenCache } from './verified-token-cache.ts';

type VerifiedClaims = AuthenticatedUser & { sessionVersion: number; sessionId?: string; authTime?: number };

/** The sign-in session an access token belongs to: checked on every use (AccountService.authenticate). */
export interface AccessTokenSession {
  /** the user's session version (bumped by a password change) */
  version: number;
  /** the refresh-token family the sign-in started: the session row, revoked by a logout or a removal */
  id: string;
}

export interface AccessTokens {
  /**
   * Signed HS256 JWT carrying the user id, email, role, the user's session version and the session's id (`sid`).
   * `authTime`: when the person signed in (epoch seconds), set at a sign-in, not at a refresh (freshness, issue 35).
   */
  issue(user: AuthenticatedUser, session: AccessTokenSession, authTime?: number): Promise<string>;
  /**
   * The token's claims, or undefined when it is invalid, expired or not ours. A valid signature alone proves little:
   * whoever holds the signing secret can write any claims, so callers check the user and the session in the database.
   */
  verify(token: string): Promise<(AuthenticatedUser & { sessionVersion: number; sessionId?: string }) | undefined>;
  ttlSeconds: number;
}

const audience = 'skyflo:auth';

export function createAccessTokens(options: { secret: string; ttlMinutes: number; cachedTokens?: number }): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
  const ttlSeconds = options.ttlMinutes * 60;
  // Imported once: handed the raw bytes, jose imports the HMAC key again on every verification.
  const verifyKey = crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // A session's token is checked once, not on each of its requests (verified-token-cache.ts says why that is safe).
  const verified = createVerifiedTokenCache<VerifiedClaims>({ maxEntries: options.cachedTokens ?? 2_000 });
  return {
    ttlSeconds,
    issue: (user, session, authTime) =>
      new SignJWT({ email: user.email, role: user.role, sv: session.version, sid: session.id, ...(authTime !== undefined ? { auth_time: authTime } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    async verify(token) {
      const cached = verified.get(token);
      if (cached) return cached;
      try {
        // Pinning the algorithm stops "alg: none" and key-confusion tricks.
        const { payload } = await jwtVerify(token, await verifyKey, { algorithms: ['HS256'], audience });
        if (typeof payload.sub !== 'string' || typeof payload.email !== 'string') return undefined;
        const role: Role = roleNames.includes(payload.role as Role) ? (payload.role as Role) : 'member';
        const sessionVersion = typeof payload.sv === 'number' ? payload.sv : 0;
        const claims: VerifiedClaims = {
          id: payload.sub,
          email: payload.email,
          role,
          sessionVersion,
          ...(typeof payload['sid'] === 'string' ? { sessionId: payload['sid'] } : {}),
          ...(typeof payload['auth_time'] === 'number' ? { authTime: payload['auth_time'] } : {}),
        };
        // every token this engine issues carries exp; one without (jwtVerify accepts it) is kept a minute only
        verified.set(token, claims, typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now() + 60_000);
        return claims;
      } catch {
        return undefined;
      }
    },
  };
}
