/**
 * Issue 19, item 9, in real Chromium: the built Command Center is served with a Content-Security-Policy that allows
 * no inline script (plus frame-ancestors 'none', nosniff, Referrer-Policy same-origin), and still works under it:
 * first-run admin, a chat answer with a tool card and Markdown, a menu and a confirmation dialog, with no CSP
 * violation reported by the browser. And the browser itself refuses a cross-site login form (login CSRF).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, ADMIN, readOnlyScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
/** CSP violations the page reported (securitypolicyviolation events and console errors), and uncaught page errors */
const violations: string[] = [];

beforeAll(async () => {
  stack = await startUiStack();
  // Injected by the browser driver before any page script (not subject to the page's CSP), on every navigation.
  await stack.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __csp: string[] }).__csp ??= [];
      (window as unknown as { __csp: string[] }).__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  stack.page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  stack.page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

const pageViolations = async () => [...violations, ...((await stack.page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])) as string[])];

describe('Command Center under its Content-Security-Policy', () => {
  it('serves the page with the security headers, and the built page has no inline script', async () => {
    const response = await fetch(`${stack.url}/welcome`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    const html = await response.text();
    // every <script> names a file of the bundle
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\//);
      expect(body!.trim()).toBe('');
    }
  });

  it('loads and works (first run, a chat answer, a menu and a dialog) with no CSP violation', async () => {
    const { page } = stack;
    await page.goto('/');
    await page.waitForURL('**/welcome');
    await page.getByLabel('Full name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await page.getByRole('heading', { name: /Hello Ada\. What should we look at\?/ }).waitFor();

    stack.llm.reset(readOnlyScript);
    await askInChat(page, 'Which deployments run in default?');
    await page.getByRole('cell', { name: '2/2' }).waitFor();
    await page.locator('[data-testid="tool-card"][data-tool="k8s_get"][data-status="completed"]').waitFor();

    await page.goto('/');
    const history = page.getByRole('navigation', { name: 'Conversation history' });
    const item = history.getByRole('listitem').first();
    await item.hover();
    await item.getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this conversation?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    expect(await pageViolations()).toEqual([]);
  });

  it('a login form on another site is refused (login CSRF): the browser gets no session', async () => {
    // the attacker's page, on another origin, auto-submitting the attacker's credentials to the engine
    const attackerPage: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><form id="f" method="POST" action="${stack.url}/api/v1/auth/jwt/login">
        <input name="username" value="${ADMIN.email}"><input name="password" value="${ADMIN.password}"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attackerPage.listen(0, '127.0.0.2', resolve));
    const context = await stack.browser.newContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((response) => response.url().endsWith('/api/v1/auth/jwt/login'));
      await page.goto(`http://127.0.0.2:${(attackerPage.address() as AddressInfo).port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain('Cross-site request refused');
      expect((await context.cookies(stack.url)).map((cookie) => cookie.name)).toEqual([]);
    } finally {
      await context.close();
      await new Promise((resolve) => attackerPage.close(resolve));
    }
  });
});
