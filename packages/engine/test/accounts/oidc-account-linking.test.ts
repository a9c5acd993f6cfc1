/**
 * Issue 74 item 7, with a real OpenID Provider (oidc-provider on loopback) and two engines on one database:
 * - an existing password account is linked to a provider person only by its owner, signed in to it (POST
 *   /auth/oidc/link, then the provider's login form, then the callback), when the provider vouches for the same,
 *   verified e-mail; never the break-glass admin's account;
 * - turning local logins off (the second engine: LOCAL_LOGIN=false, same database) ends local accounts' refresh
 *   tokens and API tokens issued before, not only their passwords; the break-glass admin's keep working, audited.
 */
import type { PGlite } from '@electric-sql/pglite';
import { startOidcProvider, type TestOidcProvider } from '@skyflo/testkit/oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcBrowser } from '../support/oidc-browser.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { cookieFrom, startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';

const engineOrigin = 'http://skyflo.test';
let lite: PGlite;
let provider: TestOidcProvider;
/** LOCAL_LOGIN=true: passwords and company sign-in */
let open: TestEngine;
const oidcEnv = {
  PUBLIC_URL: engineOrigin,
  OIDC_CLIENT_ID: 'skyflo',
  OIDC_CLIENT_SECRET: 'skyflo-client-secret',
  OIDC_PROVIDER_NAME: 'Acme SSO',
  OIDC_ROLE_MAPPING: '{"sre-leads":"approver","platform-admins":"admin"}',
  LOCAL_LOGIN_BREAK_GLASS_EMAIL: 'breakglass@acme.test',
};
/** bearer tokens, refresh tokens and API tokens by person, issued by the engine that allows local logins */
const sessions: Record<string, { access: string; refresh: string; apiToken: string }> = {};

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  provider = await startOidcProvider({
    clients: [{ clientId: 'skyflo', clientSecret: 'skyflo-client-secret', redirectUris: [`${engineOrigin}/api/v1/auth/oidc/callback`] }],
    users: {
      erin: { email: 'erin@acme.test', name: 'Erin', groups: ['everyone'] },
      'carl-unverified': { email: 'carl@acme.test', name: 'Not Carl', groups: ['platform-admins'], emailVerified: false },
      'someone-else': { email: 'someone@acme.test', name: 'Someone', groups: ['platform-admins'] },
      'breakglass-at-idp': { email: 'breakglass@acme.test', name: 'Mallory', groups: ['platform-admins'] },
    },
    refreshTokens: true,
  });
  open = await startTestEngine({ lite, env: { ...oidcEnv, OIDC_ISSUER_URL: provider.issuer } });
  // the first account is the break-glass admin; erin and carl are local accounts an admin made
  await open.signUp('breakglass@acme.test');
  const admin = (await open.login('breakglass@acme.test')).json().access_token as string;
  for (const email of ['erin@acme.test', 'carl@acme.test']) {
    expect((await open.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email, role: 'member', password: testPassword } })).statusCode).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await open?.close();
  await provider?.close();
  await lite?.close();
});

/** Signs `email` in with its password, then has its owner start linking, sign in at the provider as `login`, and come back. */
async function linkAs(email: string, login: string) {
  const access = (await open.login(email)).json().access_token as string;
  const browser = createOidcBrowser(open, engineOrigin);
  const started = await open.request({ method: 'POST', url: '/api/v1/auth/oidc/link', token: access });
  expect(started.statusCode, started.body).toBe(200);
  browser.keepCookies(engineOrigin, started.headers['set-cookie']);
  const url = new URL(started.json().url as string);
  expect(url.origin).toBe(provider.issuer);
  // the provider is asked to authenticate the person afresh, not to reuse a session the browser has there
  expect(url.searchParams.get('prompt')).toBe('login');
  const form = await browser.visit(url.href);
  const landed = await browser.submitForm(form, { login, password: 'any' });
  return landed.url.pathname + landed.url.search;
}

const linkedSubject = async (email: string) => (await lite.query<{ oidc_subject: string | null }>('SELECT oidc_subject FROM users WHERE email = $1', [email])).rows[0]?.oidc_subject;
const audited = async (action: string) => (await lite.query<{ details: Record<string, unknown> }>('SELECT details FROM audit_events WHERE action = $1 ORDER BY sequence', [action])).rows.map((row) => row.details);

describe('linking an account to company sign-in: by its owner, or not at all', () => {
  it('the owner, signed in, links her account to herself at the provider; her company sign-in is then that account', async () => {
    expect(await linkAs('erin@acme.test', 'erin')).toBe('/settings?oidc_link=linked');
    expect(await linkedSubject('erin@acme.test')).toBe('erin');
    expect(await audited('auth.oidc_linked')).toEqual([expect.objectContaining({ email: 'erin@acme.test', subject: 'erin', via: 'owner' })]);
    // signing in through the provider now lands on that very account
    const browser = createOidcBrowser(open, engineOrigin);
    const landed = await browser.submitForm(await browser.visit('/api/v1/auth/oidc/login'), { login: 'erin', password: 'any' });
    expect(landed.url.href).toBe(`${engineOrigin}/`);
    const me = await open.request({ method: 'GET', url: '/api/v1/auth/me', token: browser.cookies(engineOrigin).auth_token! });
    expect(me.json()).toMatchObject({ email: 'erin@acme.test' });
  });

  it('is refused when the provider does not say it verified the e-mail, or it is someone else\'s address', async () => {
    expect(await linkAs('carl@acme.test', 'carl-unverified')).toBe('/settings?oidc_link_error=email_unverified');
    expect(await linkAs('carl@acme.test', 'someone-else')).toBe('/settings?oidc_link_error=identity_mismatch');
    expect(await linkedSubject('carl@acme.test')).toBeNull();
    expect((await audited('auth.oidc_link_refused')).map((details) => [details['code'], details['subject']])).toEqual([
      ['OIDC_EMAIL_UNVERIFIED', 'carl-unverified'],
      ['OIDC_LINK_REFUSED', 'someone-else'],
    ]);
  });

  it('is refused for the break-glass admin: that account stays local', async () => {
    expect(await linkAs('breakglass@acme.test', 'breakglass-at-idp')).toBe('/settings?oidc_link_error=identity_mismatch');
    expect(await linkedSubject('breakglass@acme.test')).toBeNull();
    expect((await audited('auth.oidc_link_refused')).at(-1)).toMatchObject({ code: 'OIDC_LINK_REFUSED', subject: 'breakglass-at-idp' });
  });

  it('cannot be started with an API token, or without signing in', async () => {
    expect((await open.request({ method: 'POST', url: '/api/v1/auth/oidc/link' })).statusCode).toBe(401);
    const admin = (await open.login('breakglass@acme.test')).json().access_token as string;
    const created = await open.request({ method: 'POST', url: '/api/v1/auth/tokens', token: admin, payload: { name: 'ci', scopes: ['chat'] } });
    const withToken = await open.request({ method: 'POST', url: '/api/v1/auth/oidc/link', token: created.json().token as string });
    expect(withToken.statusCode).toBe(403);
  });
});

describe('LOCAL_LOGIN=false ends local sessions and API tokens issued before, the break-glass admin excepted', () => {
  let closed: TestEngine;

  beforeAll(async () => {
    // sessions and API tokens issued while local logins were allowed: carl (local), erin (linked, by password), break-glass
    for (const email of ['carl@acme.test', 'erin@acme.test', 'breakglass@acme.test']) {
      const login = await open.login(email);
      expect(login.statusCode).toBe(200);
      const access = login.json().access_token as string;
      const refresh = cookieFrom(login, 'refresh_token')!.value;
      const token = await open.request({ method: 'POST', url: '/api/v1/auth/tokens', token: access, payload: { name: `${email} ci`, scopes: ['chat'] } });
      expect(token.statusCode, token.body).toBe(201);
      sessions[email] = { access, refresh, apiToken: token.json().token as string };
    }
    // the same database, now with company sign-in only
    closed = await startTestEngine({ lite, env: { ...oidcEnv, OIDC_ISSUER_URL: provider.issuer, LOCAL_LOGIN: 'false' } });
  }, 60_000);

  afterAll(async () => {
    await closed?.close();
  });

  const refresh = (email: string) => closed.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: sessions[email]!.refresh } });
  const useToken = (email: string) => closed.request({ method: 'GET', url: '/api/v1/conversations', token: sessions[email]!.apiToken });

  it("a local account's refresh token and API token no longer work, with the reason; audited", async () => {
    const refused = await refresh('carl@acme.test');
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toBe('Local accounts are turned off on this installation (LOCAL_LOGIN=false): this refresh token was issued to a session that did not come from Acme SSO; sign in with Acme SSO. Log in again.');
    const token = await useToken('carl@acme.test');
    expect(token.statusCode).toBe(403);
    expect(token.json().detail).toMatch(/^Local accounts are turned off on this installation \(LOCAL_LOGIN=false\): this API token/);
    expect((await audited('auth.local_session_refused')).length).toBe(1);
    expect((await audited('api_token.used')).at(-1)).toMatchObject({ allowed: false, reason: 'LOCAL_LOGIN=false' });
  });

  it('a linked account keeps its API token, but not a password session', async () => {
    expect((await useToken('erin@acme.test')).statusCode).toBe(200);
    expect((await refresh('erin@acme.test')).statusCode).toBe(401);
  });

  it("the break-glass admin's session and API token keep working, each use audited as break-glass", async () => {
    const refreshed = await refresh('breakglass@acme.test');
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(refreshed.json().user).toMatchObject({ email: 'breakglass@acme.test', role: 'admin' });
    expect(await audited('auth.break_glass_refresh')).toHaveLength(1);
    expect((await useToken('breakglass@acme.test')).statusCode).toBe(200);
    expect((await audited('api_token.used')).at(-1)).toMatchObject({ allowed: true, break_glass: true });
  });
});
