/**
 * Issue 39 item 4 in headless Chromium against a real engine: an admin connects their own MCP server from Settings →
 * Integrations (a stdio command, one argument per line), sees its namespaced tools and which need approval; a command
 * that is not installed is named; the environment value typed in never comes back to the page.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const fixture = fileURLToPath(new URL('../../packages/engine/test/fixtures/external-mcp/tiny-mcp-server.mjs', import.meta.url));
const ENV_SECRET = 'tiny-env-secret-value-9753';
let stack: UiStack;

beforeAll(async () => {
  stack = await startUiStack();
  const registered = await stack.context.request.post('/api/v1/auth/register/register', { data: { email: ADMIN.email, password: ADMIN.password, full_name: ADMIN.name } });
  expect(registered.status()).toBe(201);
  const login = await stack.context.request.post('/api/v1/auth/jwt/login', { form: { username: ADMIN.email, password: ADMIN.password } });
  expect(login.status()).toBe(200);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('Settings → Integrations → MCP servers', () => {
  it('names a missing command, then connects a stdio server and lists its tools without showing its env values', async () => {
    const { page } = stack;
    await page.goto('/integrations');
    const form = page.getByRole('region', { name: 'Add MCP server' });
    await form.getByLabel('Name', { exact: true }).fill('tiny');
    await form.getByLabel('Toolset').fill('tinyops');
    await form.getByLabel('Command (stdio)').check();
    await form.getByLabel('Command, one argument per line').fill('/nonexistent/bin/some-mcp-server');
    await form.getByRole('button', { name: 'Add MCP server' }).click();
    await form.getByText('Command not found: /nonexistent/bin/some-mcp-server').waitFor();

    await form.getByLabel('Command, one argument per line').fill(`${process.execPath}\n${fixture}`);
    await form.getByLabel('Environment, KEY=value per line').fill(`TINY_SECRET=${ENV_SECRET}`);
    await form.getByRole('button', { name: 'Add MCP server' }).click();
    const card = page.getByRole('listitem', { name: 'MCP server tiny' });
    await card.getByText('connected').waitFor();
    const tools = card.getByRole('list', { name: 'Tools of tiny' });
    // an external write is destructive unless an admin declared otherwise (issue 74: never the server's word)
    await expect.poll(() => tools.getByRole('listitem').allTextContents()).toEqual(['tiny__get_status read-only', 'tiny__deploy needs approval · destructive', 'tiny__k8s_delete read-only']);
    await card.getByText('env TINY_SECRET').waitFor();
    expect(await page.content()).not.toContain(ENV_SECRET);
    await stack.screenshot('external-mcp-servers');
  });
});
