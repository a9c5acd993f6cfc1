/**
 * Issue 35 in real Chromium: with a company identity provider (oidc-provider on loopback) and LOCAL_LOGIN=false, the
 * login page offers "Sign in with Acme SSO" and no password form; the provider's own login form signs the person in
 * and the Command Center opens with the role their group maps to.
 */
import { freeLoopbackPort } from '@skyflo/testkit/services';
import { startOidcProvider, type TestOidcProvider } from '@skyflo/testkit/oidc-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
let provider: TestOidcProvider;

beforeAll(async () => {
  const port = await freeLoopbackPort();
  const origin = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({
    clients: [{ clientId: 'skyflo', clientSecret: 'skyflo-client-secret', redirectUris: [`${origin}/api/v1/auth/oidc/callback`], postLogoutRedirectUris: [`${origin}/login`] }],
    users: { grace: { email: 'grace@acme.test', name: 'Grace Hopper', groups: ['platform-admins'] } },
  });
  stack = await startUiStack({
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: origin,
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: 'skyflo',
      OIDC_CLIENT_SECRET: 'skyflo-client-secret',
      OIDC_PROVIDER_NAME: 'Acme SSO',
      OIDC_ROLE_MAPPING: '{"platform-admins":"admin"}',
      LOCAL_LOGIN: 'false',
    },
  });
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
  await provider?.close();
}, 180_000);

describe('Company sign-in in the browser', () => {
  it('signs in through the provider form and opens the Command Center as the mapped role', async () => {
    const { page } = stack;
    await page.goto('/login');
    const button = page.getByRole('link', { name: 'Sign in with Acme SSO' });
    await button.waitFor();
    // LOCAL_LOGIN=false and no break-glass admin: no password field at all
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    await button.click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill('grace');
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(stack.url) && !url.pathname.startsWith('/login'));
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me', { credentials: 'same-origin' })).json());
    expect(me).toMatchObject({ email: 'grace@acme.test', role: 'admin' });
  });

  it('a failed sign-in is explained on the login page', async () => {
    const { page } = stack;
    await page.goto('/login?oidc_error=wrong_audience');
    await page.getByText(/issued the sign-in for another application/).waitFor();
  });
});
