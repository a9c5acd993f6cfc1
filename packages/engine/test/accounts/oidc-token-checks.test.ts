/**
 * A provider handing back a bad ID token (signed with its real key, one thing wrong) never gives a session: each
 * case lands on the login page with the code the UI explains, and no session cookie is set.
 */
import type { PGlite } from '@electric-sql/pglite';
import { startTamperingOidcProvider, type Tampering, type TamperingOidcProvider } from '@skyflo/testkit/oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcBrowser } from '../support/oidc-browser.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

const engineOrigin = 'http://skyflo.test';
let lite: PGlite;
let provider: TamperingOidcProvider;
let engine: TestEngine;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  provider = await startTamperingOidcProvider({ clientId: 'skyflo', email: 'carol@acme.test' });
  engine = await startTestEngine({
    lite,
    env: { PUBLIC_URL: engineOrigin, OIDC_ISSUER_URL: provider.issuer, OIDC_CLIENT_ID: 'skyflo', OIDC_CLIENT_SECRET: 'secret', OIDC_ROLE_MAPPING: '{"sre-leads":"approver"}' },
  });
});

afterAll(async () => {
  await engine?.close();
  await provider?.close();
  await lite?.close();
});

async function signInWith(tampering: Tampering) {
  provider.tampering = tampering;
  const browser = createOidcBrowser(engine, engineOrigin);
  const page = await browser.visit('/api/v1/auth/oidc/login');
  return { page, cookies: browser.cookies(engineOrigin) };
}

describe('OIDC ID-token checks', () => {
  it.each([
    ['audience', 'wrong_audience'],
    ['issuer', 'wrong_issuer'],
    ['nonce', 'nonce_mismatch'],
    ['expired', 'token_expired'],
    ['token_error', 'provider_error'],
  ] as const)('a token with a wrong %s lands on /login?oidc_error=%s without a session', async (tampering, code) => {
    const { page, cookies } = await signInWith(tampering);
    expect(page.url.pathname + page.url.search).toBe(`/login?oidc_error=${code}`);
    expect(cookies.auth_token).toBeUndefined();
    expect(cookies.refresh_token).toBeUndefined();
  });

  it('the same provider with a correct token signs in (the failures above are the tampering, not the setup)', async () => {
    const { page, cookies } = await signInWith('none');
    expect(page.url.href).toBe(`${engineOrigin}/`);
    const me = await engine.request({ method: 'GET', url: '/api/v1/auth/me', token: cookies.auth_token! });
    expect(me.json()).toMatchObject({ email: 'carol@acme.test', role: 'member' });
  });

  it('with OIDC_REQUIRE_MAPPED_GROUP, a person in no mapped group is refused with unmapped_user', async () => {
    const strictLite = (await createTestPglite()).lite;
    const strict = await startTestEngine({
      lite: strictLite,
      env: { PUBLIC_URL: engineOrigin, OIDC_ISSUER_URL: provider.issuer, OIDC_CLIENT_ID: 'skyflo', OIDC_CLIENT_SECRET: 'secret', OIDC_ROLE_MAPPING: '{"sre-leads":"approver"}', OIDC_REQUIRE_MAPPED_GROUP: 'true' },
    });
    try {
      provider.tampering = 'none';
      const browser = createOidcBrowser(strict, engineOrigin);
      const page = await browser.visit('/api/v1/auth/oidc/login');
      expect(page.url.pathname + page.url.search).toBe('/login?oidc_error=unmapped_user');
      expect(browser.cookies(engineOrigin).auth_token).toBeUndefined();
    } finally {
      await strict.close();
      await strictLite.close();
    }
  });
});
