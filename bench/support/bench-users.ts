/**
 * The people a bench acts as, each with a real session: the shipped engine checks every request's JWT (HS256 with its
 * JWT_SECRET), then the user's row and the sign-in session the token names (`sid`: its refresh-token family, issue 74),
 * as for anyone signed in. A bench needs hundreds of them (one per
 * concurrent stream: MAX_CONCURRENT_RUNS_PER_USER stays at its default), and signing each in would cost two argon2
 * hashes apiece before anything is measured. So the users are written into the database before the engine starts
 * (the first, an admin with a real password; the others members), each with a sign-in session (a refresh-token
 * family, as a sign-in starts), and their tokens signed here with the engine's secret and its claims. `checkTokens` then signs the admin in for real and fails the bench unless that token and a
 * token made here carry the same claims and both are accepted.
 */
import { createHash, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { SignJWT, decodeJwt } from 'jose';
import type { PlatformStorage } from '@skyflo/engine';
import { expectOk } from './bench-header.ts';

export interface BenchUser {
  id: string;
  email: string;
  role: 'admin' | 'member';
  /** `Authorization: Bearer <token>` */
  token: string;
}

export const benchAdminPassword = 'bench-admin-passphrase-7291';

/** The engine's access token for `user` (accounts/access-tokens.ts: sub, email, role, sv, sid, aud skyflo:auth). */
export function accessToken(secret: string, user: { id: string; email: string; role: string; sessionVersion: number; sessionId: string }): Promise<string> {
  return new SignJWT({ email: user.email, role: user.role, sv: user.sessionVersion, sid: user.sessionId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setAudience('skyflo:auth')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret));
}

/** `count` users (the first an admin) in a storage that has none yet, each with a token for `secret`. */
export async function seedBenchUsers(storage: PlatformStorage, count: number, secret: string, prefix = 'bench'): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const adminHash = await argon2.hash(benchAdminPassword, { type: argon2.argon2id });
  for (let index = 0; index < count; index += 1) {
    const created = await storage.users.create({ email: `${prefix}-${index}@example.test`, hashedPassword: index === 0 ? adminHash : 'not-a-password-hash', allowWhenUsersExist: true });
    if (!created.ok) throw new Error(`creating bench user ${index}: ${created.reason}`);
    const { id, email, role, sessionVersion } = created.user as typeof created.user & { sessionVersion?: number };
    const asRole = role === 'admin' ? 'admin' : 'member';
    // the sign-in session the token names: a refresh-token family, as a sign-in starts one
    const sessionId = randomUUID();
    await storage.refreshTokens.insert({ tokenHash: createHash('sha256').update(randomUUID()).digest('hex'), userId: id, familyId: sessionId, expiresAt: new Date(Date.now() + 86_400_000) });
    users.push({ id, email, role: asRole, token: await accessToken(secret, { id, email, role: asRole, sessionVersion: sessionVersion ?? 0, sessionId }) });
  }
  if (users[0]?.role !== 'admin') throw new Error('the first bench user is not the admin: the storage had users already');
  return users;
}

/**
 * Signs the admin in through POST /auth/jwt/login and fails unless the engine's token and the ones made here carry
 * the same claims and the engine accepts both (GET /auth/me).
 */
export async function checkTokens(api: string, admin: BenchUser): Promise<void> {
  const login = await expectOk(await fetch(`${api}/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: admin.email, password: benchAdminPassword }) }), 'signing the bench admin in');
  const { access_token: real } = (await login.json()) as { access_token: string };
  const claims = (token: string) => Object.keys(decodeJwt(token)).filter((claim) => claim !== 'auth_time').sort().join(',');
  if (claims(real) !== claims(admin.token)) throw new Error(`the engine's access token carries claims ${claims(real)}, the bench's ${claims(admin.token)}: update support/bench-users.ts`);
  for (const token of [real, admin.token]) await expectOk(await fetch(`${api}/auth/me`, { headers: { authorization: `Bearer ${token}` } }), 'GET /auth/me with a session token');
}
