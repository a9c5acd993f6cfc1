/**
 * Company sign-in against a real OpenID Provider (oidc-provider on loopback): the whole Authorization Code + PKCE
 * flow through its login form, the account created on first sign-in, the role from the person's groups re-read at
 * every sign-in and (issue 74 item 7) at every refresh, provider logout, and LOCAL_LOGIN=false refusing passwords
 * except the break-glass admin's. Issue 74 item 7: an account is never linked by e-mail (a provider user with the
 * break-glass admin's address was signed in as that admin); linking by the account's owner is in
 * oidc-account-linking.test.ts.
 */
import type { PGlite } from '@electric-sql/pglite';
import { startOidcProvider, type TestOidcProvider } from '@skyflo/testkit/oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcBrowser } from '../support/oidc-browser.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { startTestEngine, testPassword, type TestEngine } from '../support/test-engine.ts';

const engineOrigin = 'http://skyflo.test';
let lite: PGlite;
let provider: TestOidcProvider;
let engine: TestEngine;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  provider = await startOidcProvider({
    clients: [{ clientId: 'skyflo', clientSecret: 'skyflo-client-secret', redirectUris: [`${engineOrigin}/api/v1/auth/oidc/callback`], postLogoutRedirectUris: [`${engineOrigin}/login`] }],
    users: {
      alice: { email: 'alice@acme.test', name: 'Alice Lead', groups: ['sre-leads', 'everyone'] },
      bob: { email: 'bob@acme.test', name: 'Bob Admin', groups: ['platform-admins'] },
    },
    refreshTokens: true,
  });
  engine = await startTestEngine({
    lite,
    env: {
      PUBLIC_URL: engineOrigin,
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: 'skyflo',
      OIDC_CLIENT_SECRET: 'skyflo-client-secret',
      OIDC_PROVIDER_NAME: 'Acme SSO',
      OIDC_ROLE_MAPPING: '{"sre-leads":"approver","platform-admins":"admin"}',
      LOCAL_LOGIN: 'false',
      LOCAL_LOGIN_BREAK_GLASS_EMAIL: 'breakglass@acme.test',
    },
  });
});

afterAll(async () => {
  await engine?.close();
  await provider?.close();
  await lite?.close();
});

/** A fresh browser signs in as `login` through the provider's form; returns the browser and the page it ends on. */
async function signIn(login: string) {
  const browser = createOidcBrowser(engine, engineOrigin);
  const form = await browser.visit('/api/v1/auth/oidc/login');
  expect(form.url.origin).toBe(provider.issuer);
  expect(form.body).toMatch(/name="login"/);
  const landed = await browser.submitForm(form, { login, password: 'any' });
  return { browser, landed };
}

async function me(browser: ReturnType<typeof createOidcBrowser>) {
  const token = browser.cookies(engineOrigin).auth_token;
  expect(token).toBeTruthy();
  const response = await engine.request({ method: 'GET', url: '/api/v1/auth/me', token });
  expect(response.statusCode).toBe(200);
  return response.json() as { email: string; role: string; full_name: string | null };
}

describe('OIDC sign-in with a real provider', () => {
  it('tells the UI the provider and that passwords are off', async () => {
    const info = await engine.request({ method: 'GET', url: '/api/v1/auth/oidc/info' });
    expect(info.json()).toEqual({ enabled: true, provider_name: 'Acme SSO', local_login: false, break_glass: true });
  });

  it('creates the account on first sign-in with the role its groups map to, in HttpOnly session cookies', async () => {
    const { browser, landed } = await signIn('alice');
    expect(landed.url.href).toBe(`${engineOrigin}/`);
    expect(await me(browser)).toMatchObject({ email: 'alice@acme.test', role: 'approver', full_name: 'Alice Lead' });
    expect(browser.cookies(engineOrigin).refresh_token).toBeTruthy();
    // the session refreshes like a password one
    const refreshed = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: browser.cookies(engineOrigin).refresh_token! } });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().user).toMatchObject({ email: 'alice@acme.test', role: 'approver' });
  });

  it('re-reads the groups at every sign-in: promoted, then removed from the group and back to member', async () => {
    const bob = await signIn('bob');
    expect(await me(bob.browser)).toMatchObject({ email: 'bob@acme.test', role: 'admin' });

    provider.users.get('alice')!.groups = ['sre-leads', 'platform-admins'];
    expect(await me((await signIn('alice')).browser)).toMatchObject({ role: 'admin' });

    provider.users.get('alice')!.groups = ['everyone'];
    expect(await me((await signIn('alice')).browser)).toMatchObject({ role: 'member' });
    const accounts = await engine.request({ method: 'GET', url: '/api/v1/team/members', token: bob.browser.cookies(engineOrigin).auth_token! });
    expect(accounts.json().filter((member: { email: string }) => member.email === 'alice@acme.test')).toHaveLength(1);
  });

  it('logout ends the Skyflo session and points at the provider end_session_endpoint', async () => {
    const { browser } = await signIn('bob');
    const refresh = browser.cookies(engineOrigin).refresh_token!;
    const out = await engine.request({ method: 'POST', url: '/api/v1/auth/oidc/logout', cookies: { refresh_token: refresh } });
    expect(out.statusCode).toBe(200);
    const endSession = new URL(out.json().end_session_url);
    expect(endSession.origin).toBe(provider.issuer);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${engineOrigin}/login`);
    const reuse = await engine.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: refresh } });
    expect(reuse.statusCode).toBe(401);
  });

  it('a callback without the login cookie lands on the login page with invalid_state', async () => {
    const browser = createOidcBrowser(engine, engineOrigin);
    const page = await browser.visit('/api/v1/auth/oidc/callback?code=stolen&state=whatever');
    expect(page.url.pathname + page.url.search).toBe('/login?oidc_error=invalid_state');
    expect(browser.cookies(engineOrigin).auth_token).toBeUndefined();
  });

  it('LOCAL_LOGIN=false refuses password registration and sign-in with a clear message, except the break-glass admin', async () => {
    const register = await engine.request({ method: 'POST', url: '/api/v1/auth/register/register', payload: { email: 'mallory@acme.test', password: testPassword } });
    expect(register.statusCode).toBe(403);
    expect(register.json().detail ?? register.body).toMatch(/Password sign-in is turned off.*LOCAL_LOGIN=false.*Acme SSO/);
    const login = await engine.login('alice@acme.test', 'anything at all');
    expect(login.statusCode).toBe(403);
    expect(login.body).toMatch(/sign in with Acme SSO/);

    const breakGlass = await engine.request({ method: 'POST', url: '/api/v1/auth/register/register', payload: { email: 'breakglass@acme.test', password: testPassword } });
    // accounts exist already (first provider sign-ins), so registration is closed for everyone; sign-in is still allowed
    expect(breakGlass.statusCode).toBe(403);
    expect(breakGlass.body).toMatch(/Registration is closed/);
    // the break-glass email goes past the LOCAL_LOGIN gate to the ordinary password check
    const breakGlassLogin = await engine.login('breakglass@acme.test', 'wrong password here');
    expect(breakGlassLogin.statusCode).toBe(400);
    expect(breakGlassLogin.body).toMatch(/Incorrect email or password/);
  });

  describe('accounts are the provider\'s person (iss, sub), not an email address (issue 35)', () => {
    /** A sign-in that is refused: the login page with the reason, and no session. */
    async function refused(login: string) {
      const { browser, landed } = await signIn(login);
      expect(browser.cookies(engineOrigin).auth_token).toBeUndefined();
      return landed.url.pathname + landed.url.search;
    }
    const members = async () => {
      const admin = (await signIn('bob')).browser.cookies(engineOrigin).auth_token!;
      return (await engine.request({ method: 'GET', url: '/api/v1/team/members', token: admin })).json() as Array<{ id: string; email: string }>;
    };

    it('follows an email changed at the provider: the same account, now with the new address', async () => {
      provider.users.set('carol', { email: 'carol@acme.test', name: 'Carol', groups: ['everyone'] });
      const first = await me((await signIn('carol')).browser);
      const before = (await members()).find((member) => member.email === 'carol@acme.test')!;
      provider.users.get('carol')!.email = 'carol.jones@acme.test';
      expect((await me((await signIn('carol')).browser)).email).toBe('carol.jones@acme.test');
      const after = await members();
      expect(after.find((member) => member.email === 'carol.jones@acme.test')?.id).toBe(before.id);
      expect(after.some((member) => member.email === 'carol@acme.test')).toBe(false);
      expect(first.email).toBe('carol@acme.test');
    });

    it("a new person given a former colleague's address does not get the colleague's account", async () => {
      // alice signed in earlier: her account is linked to her subject at the provider
      provider.users.set('alicia', { email: 'alice@acme.test', name: 'Alicia New', groups: ['platform-admins'] });
      expect(await refused('alicia')).toBe('/login?oidc_error=identity_mismatch');
      const rows = await lite.query<{ action: string }>("SELECT action FROM audit_events WHERE action = 'auth.oidc_linked' AND details->>'email' = 'alice@acme.test'");
      expect(rows.rows).toEqual([]);
    });

    // Issue 74 item 7, as found: the identity provider's user with the break-glass admin's address became that admin.
    it("attack: a provider user with the break-glass admin's e-mail (verified) is not signed in as that admin", async () => {
      const admin = (await signIn('bob')).browser.cookies(engineOrigin).auth_token!;
      const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email: 'breakglass@acme.test', role: 'admin', password: testPassword } });
      expect(added.statusCode).toBe(201);
      provider.users.set('mallory', { email: 'breakglass@acme.test', name: 'Mallory', groups: ['everyone'], emailVerified: true });
      expect(await refused('mallory')).toBe('/login?oidc_error=link_required');
      const linked = await lite.query("SELECT action FROM audit_events WHERE action = 'auth.oidc_linked' AND details->>'email' = 'breakglass@acme.test'");
      expect(linked.rows).toEqual([]);
      const attempt = await lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'auth.oidc_sign_in_refused' ORDER BY sequence DESC LIMIT 1");
      expect(attempt.rows[0]?.details).toMatchObject({ email: 'breakglass@acme.test', subject: 'mallory', code: 'OIDC_LINK_REQUIRED' });
      expect((await lite.query<{ oidc_subject: string | null }>("SELECT oidc_subject FROM users WHERE email = 'breakglass@acme.test'")).rows).toEqual([{ oidc_subject: null }]);
    });

    it('never links an existing password account by e-mail, verified or not (its owner links it, or nobody)', async () => {
      const admin = (await signIn('bob')).browser.cookies(engineOrigin).auth_token!;
      const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email: 'erin@acme.test', role: 'member', password: testPassword } });
      expect(added.statusCode).toBe(201);
      provider.users.set('erin-unverified', { email: 'erin@acme.test', name: 'Not Erin', groups: ['everyone'], emailVerified: false });
      expect(await refused('erin-unverified')).toBe('/login?oidc_error=link_required');
      provider.users.set('erin', { email: 'erin@acme.test', name: 'Erin', groups: ['everyone'] });
      expect(await refused('erin')).toBe('/login?oidc_error=link_required');
      expect((await members()).filter((member) => member.email === 'erin@acme.test').map((member) => member.id)).toEqual([added.json().id]);
      expect((await lite.query("SELECT action FROM audit_events WHERE action = 'auth.oidc_linked' AND details->>'email' = 'erin@acme.test'")).rows).toEqual([]);
    });
  });

  // Issue 74 item 7: a group removed at the provider took effect only at the next sign-in, not at the next refresh.
  describe('each refresh asks the provider again', () => {
    const refresh = (token: string) => engine.request({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: token } });

    it('a group removed at the provider takes effect at the next refresh', async () => {
      provider.users.set('dora', { email: 'dora@acme.test', name: 'Dora', groups: ['sre-leads'] });
      const { browser } = await signIn('dora');
      expect(await me(browser)).toMatchObject({ role: 'approver' });
      provider.users.get('dora')!.groups = ['everyone'];
      const refreshed = await refresh(browser.cookies(engineOrigin).refresh_token!);
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      expect(refreshed.json().user).toMatchObject({ email: 'dora@acme.test', role: 'member' });
      const change = await lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'team.role_changed' AND details->>'email' = 'dora@acme.test' ORDER BY sequence DESC LIMIT 1");
      expect(change.rows[0]?.details).toMatchObject({ from: 'approver', to: 'member', via: 'oidc_refresh' });
      // and back: the refreshed session keeps asking (the provider's rotated refresh token was kept)
      provider.users.get('dora')!.groups = ['platform-admins'];
      const again = await refresh(refreshed.json().refresh_token as string);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json().user).toMatchObject({ role: 'admin' });
    });

    it('a person removed at the provider loses the session at the next refresh, audited', async () => {
      provider.users.set('finn', { email: 'finn@acme.test', name: 'Finn', groups: ['sre-leads'] });
      const { browser } = await signIn('finn');
      const token = browser.cookies(engineOrigin).refresh_token!;
      provider.users.delete('finn');
      const refused = await refresh(token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().detail).toMatch(/^Acme SSO did not renew this session: The identity provider no longer renews this session \(invalid_grant\)/);
      const audit = await lite.query<{ details: Record<string, unknown> }>("SELECT a.details FROM audit_events a JOIN users u ON u.id = a.actor_id WHERE a.action = 'auth.oidc_refresh_refused' AND u.email = 'finn@acme.test'");
      expect(audit.rows).toHaveLength(1);
    });
  });
});
