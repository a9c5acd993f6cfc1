/**
 * Issue 74 item 1, defence in depth: a member who learned JWT_SECRET (through a runbook that was a link to the data
 * directory's jwt-secret) signed a token with the admin's id and `role: admin`, and the engine accepted it as the
 * admin. A valid signature is no longer enough: the token must name a live sign-in session (`sid`, the refresh-token
 * family) of that very user, which nobody else ever sees. So a forged token — for the admin, for a user that does not
 * exist, or with the member's own session pasted in — is refused, and a session ends for its access tokens as soon as
 * it is logged out.
 */
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, startTestEngine, type TestEngine } from '../support/test-engine.ts';

const LEAKED_SECRET = 'leaked-jwt-secret-read-through-a-runbook-0123456789';

let lite: PGlite;
let engine: TestEngine;
let adminId: string;
let memberToken: string;
let memberRefresh: string;

/** A token as the attacker writes it: HS256 with the real secret, any claims they like. */
const forge = (claims: Record<string, unknown>, subject: string) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setAudience('skyflo:auth').setIssuedAt().setExpirationTime('15m').sign(new TextEncoder().encode(LEAKED_SECRET));

const readAudit = (token: string) => engine.request({ method: 'GET', url: '/api/v1/audit', token });

beforeAll(async () => {
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, env: { JWT_SECRET: LEAKED_SECRET } });
  const adminToken = await engine.signUp('admin@example.com');
  adminId = (await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: adminToken })).json().id;
  const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: adminToken, payload: { email: 'mallory@example.com', role: 'member', password: 'copper-kettle-4242' } });
  expect(added.statusCode, added.body).toBe(201);
  const login = await engine.login('mallory@example.com', 'copper-kettle-4242');
  memberToken = login.json().access_token;
  memberRefresh = cookieFrom(login, 'refresh_token')!.value;
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('an access token signed with a leaked JWT secret', () => {
  it('the real sessions work: the admin reads the audit trail, the member is refused it', async () => {
    const adminToken = (await engine.login('admin@example.com')).json().access_token;
    expect((await readAudit(adminToken)).statusCode).toBe(200);
    expect((await readAudit(memberToken)).statusCode).toBe(403);
  });

  it("does not make a member the admin: the admin's id and role without a session of theirs is refused", async () => {
    const forged = await forge({ email: 'admin@example.com', role: 'admin', sv: 0 }, adminId);
    const answer = await readAudit(forged);
    expect(answer.statusCode).toBe(401);
    expect((await engine.request({ method: 'POST', url: '/api/v1/team/members', token: forged, payload: { email: 'backdoor@example.com', role: 'admin', password: 'backdoor-pass-4242' } })).statusCode).toBe(401);
    const members = (await lite.query<{ email: string }>('SELECT email FROM users ORDER BY email')).rows.map((row) => row.email);
    expect(members).toEqual(['admin@example.com', 'mallory@example.com']);
  });

  it("is refused with the member's own session pasted in, with a made-up session, and for a user that does not exist", async () => {
    const ownSession = decodeJwt(memberToken)['sid'];
    expect(typeof ownSession).toBe('string');
    expect((await readAudit(await forge({ email: 'admin@example.com', role: 'admin', sv: 0, sid: ownSession }, adminId))).statusCode).toBe(401);
    expect((await readAudit(await forge({ email: 'admin@example.com', role: 'admin', sv: 0, sid: '6f1c1b7e-3f0e-4a43-9d55-2b1c1e0f9a10' }, adminId))).statusCode).toBe(401);
    expect((await readAudit(await forge({ email: 'ghost@example.com', role: 'admin', sv: 0, sid: ownSession }, '0b6c8a4e-8f43-4c8e-9f0c-6c1f3a2b9d77'))).statusCode).toBe(401);
  });

  it('claims cannot raise a real session: the role comes from the account, not the token', async () => {
    const ownSession = decodeJwt(memberToken)['sid'];
    const memberId = decodeJwt(memberToken).sub!;
    expect((await readAudit(await forge({ email: 'mallory@example.com', role: 'admin', sv: 0, sid: ownSession }, memberId))).statusCode).toBe(403);
  });

  it('a logged-out session ends for its access tokens at once, not when they expire', async () => {
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: memberToken })).statusCode).toBe(200);
    const loggedOut = await engine.request({ method: 'POST', url: '/api/v1/auth/jwt/logout', cookies: { refresh_token: memberRefresh } });
    expect(loggedOut.statusCode, loggedOut.body).toBe(200);
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: memberToken })).statusCode).toBe(401);
    // a new sign-in is a new session, and works
    const again = (await engine.login('mallory@example.com', 'copper-kettle-4242')).json().access_token;
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: again })).statusCode).toBe(200);
  });

  it('a refreshed access token stays in its session', async () => {
    const login = await engine.login('mallory@example.com', 'copper-kettle-4242');
    const refreshed = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: cookieFrom(login, 'refresh_token')!.value } });
    expect(refreshed.statusCode).toBe(200);
    expect(decodeJwt(refreshed.json().access_token)['sid']).toBe(decodeJwt(login.json().access_token)['sid']);
    expect((await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: refreshed.json().access_token })).statusCode).toBe(200);
  });
});
