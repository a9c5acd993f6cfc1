import { jwtVerify, SignJWT } from 'jose';
import { roleNames, type AuthenticatedUser, type Role } from '../ports/index.ts';

export interface AccessTokens {
  /** Signed HS256 JWT carrying the user id, email, role and the user's session version. */
  /** `authTime`: when the person signed in (epoch seconds), set at a sign-in, not at a refresh (freshness, issue 35) */
  issue(user: AuthenticatedUser, sessionVersion: number, authTime?: number): Promise<string>;
  /** The token's user and session version, or undefined when it is invalid, expired or not ours. */
  verify(token: string): Promise<(AuthenticatedUser & { sessionVersion: number }) | undefined>;
  ttlSeconds: number;
}

const audience = 'skyflo:auth';

export function createAccessTokens(options: { secret: string; ttlMinutes: number }): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
  const ttlSeconds = options.ttlMinutes * 60;
  return {
    ttlSeconds,
    issue: (user, sessionVersion, authTime) =>
      new SignJWT({ email: user.email, role: user.role, sv: sessionVersion, ...(authTime !== undefined ? { auth_time: authTime } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    async verify(token) {
      try {
        // Pinning the algorithm stops "alg: none" and key-confusion tricks.
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience });
        if (typeof payload.sub !== 'string' || typeof payload.email !== 'string') return undefined;
        const role: Role = roleNames.includes(payload.role as Role) ? (payload.role as Role) : 'member';
        const sessionVersion = typeof payload.sv === 'number' ? payload.sv : 0;
        return { id: payload.sub, email: payload.email, role, sessionVersion, ...(typeof payload['auth_time'] === 'number' ? { authTime: payload['auth_time'] } : {}) };
      } catch {
        return undefined;
      }
    },
  };
}
