/**
 * Passkeys for risky approvals (issue 35) in real headless Chromium against a real engine, with Chromium's virtual
 * authenticator (DevTools protocol WebAuthn domain: ctap2, internal transport, resident key, user verification) as
 * the passkey. The admin registers a passkey in Settings → Profile, asks for passkeys on every approval on the cluster
 * (Settings → Clusters), and a change there is then refused as a plain approval (403 PASSKEY_REQUIRED) but approved
 * from its approval page with the passkey: the cluster changes and the decision row carries the signed assertion.
 *
 * WebAuthn needs a secure context and a domain as RP ID: the browser uses http://localhost (not 127.0.0.1), which is
 * also the public address the RP ID comes from.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, approveOnCard, artifactsDir, askInChat, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let origin: string;
/** the virtual authenticator's id */
let authenticator: string;

const replicas = () => stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}');

beforeAll(async () => {
  stack = await startUiStack();
  origin = stack.url.replace('127.0.0.1', 'localhost');
  const registered = await fetch(`${stack.url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password, full_name: ADMIN.name }) });
  expect(registered.status).toBe(201);
  context = await stack.browser.newContext({ baseURL: origin, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: 'light' });
  context.setDefaultTimeout(90_000);
  page = await context.newPage();
  // the passkey: Chromium's virtual platform authenticator, which answers every prompt as a verified user
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  ({ authenticatorId: authenticator } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } }));
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
  // the relying party is the Command Center's public address: this browser's
  const publicUrl = await page.request.put('/api/v1/settings/public-url', { data: { url: origin } });
  expect(publicUrl.status(), await publicUrl.text()).toBe(200);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await context?.close().catch(() => {});
  await stack?.close();
}, 180_000);

describe('a passkey approves a change on a cluster that asks for one', () => {
  it('registers a passkey in Settings; the cluster asks for one on every approval', async () => {
    await page.goto('/settings/profile');
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByText('No passkey yet.').waitFor();
    await section.getByLabel('Passkey name').fill('Phone passkey');
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await section.getByText('Passkey added.').waitFor();
    await section.getByRole('list', { name: 'Your passkeys' }).getByText('Phone passkey').waitFor();
    const credentials = await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator });
    expect(credentials.credentials).toEqual([expect.objectContaining({ rpId: 'localhost', isResidentCredential: true })]);
    await page.screenshot({ path: `${artifactsDir}/passkey-registered.png` });

    await page.goto('/settings/clusters');
    const policies = page.getByRole('region', { name: 'Passkeys for approvals' });
    const select = policies.getByRole('combobox').first();
    await select.selectOption('every_approval');
    await policies.getByText('Saved.').waitFor();
  });

  it('a plain approval is refused; the approval page approves it with the passkey', async () => {
    stack.llm.reset(scaleScript(3));
    await askInChat(page, 'Scale web to 3 replicas');
    await page.getByTestId('approval-card').waitFor();
    const pending = (await (await page.request.get('/api/v1/approvals/pending')).json()) as { data: Array<{ call_id: string; conversation_id: string; args_hash: string; diff_hash?: string; passkey_required?: boolean }> };
    const call = pending.data[0]!;
    expect(call.passkey_required).toBe(true);

    // a plain approval (what a click, a Slack button or a token sends) is refused, and says where to approve
    const plain = await page.request.post(`/api/v1/agent/approvals/${call.call_id}`, { data: { approve: true, conversation_id: call.conversation_id, args_hash: call.args_hash, ...(call.diff_hash ? { diff_hash: call.diff_hash } : {}) } });
    expect(plain.status()).toBe(403);
    const refusal = (await plain.json()) as { code: string; detail: string };
    expect(refusal.code).toBe('PASSKEY_REQUIRED');
    expect(refusal.detail).toContain(`${origin}/approvals?call=${call.call_id}`);
    expect(await replicas()).toBe('2');

    await page.goto(`/approvals?call=${encodeURIComponent(call.call_id)}&conversation=${call.conversation_id}`);
    const item = page.getByTestId('pending-approval');
    await item.getByTestId('passkey-required').waitFor();
    await page.screenshot({ path: `${artifactsDir}/passkey-approval-page.png` });
    // the person does not confirm (user verification fails): nothing is decided, and the card says why
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator, isUserVerified: false });
    await item.getByRole('button', { name: /with your passkey/ }).click();
    await item.getByText(/Not decided: The passkey prompt was cancelled or timed out/).waitFor({ timeout: 30_000 });
    expect(await replicas()).toBe('2');
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator, isUserVerified: true });
    await item.getByRole('button', { name: /with your passkey/ }).click();
    await page.getByTestId('decided-approval').getByText(/Approved/).waitFor();
    await vi.waitFor(async () => expect(await replicas()).toBe('3'), { timeout: 60_000, interval: 250 });
    const row = await stack.engine.storage.approvals.get(call.conversation_id, call.call_id);
    expect(row?.passkeyAssertion).toMatchObject({ rp_id: 'localhost', origin, user_verified: true, signed_facts: { callId: call.call_id, conversationId: call.conversation_id, argsHash: call.args_hash } });
  });

  it("the chat's approval card approves it with the passkey too", async () => {
    stack.llm.reset(scaleScript(4));
    await askInChat(page, 'Scale web to 4 replicas');
    const card = page.getByTestId('approval-card');
    await card.getByTestId('diff-view').first().waitFor();
    // on a phone (a touch screen, no mouse): no keyboard hints, neither under the buttons nor on them
    expect(await card.getByTestId('approval-hint').isVisible()).toBe(false);
    expect(await card.locator('kbd').count()).toBeGreaterThan(0);
    for (const key of await card.locator('kbd').all()) expect(await key.isVisible()).toBe(false);
    await card.getByRole('button', { name: 'Approve', exact: true }).waitFor();
    await approveOnCard(card);
    await vi.waitFor(async () => expect(await replicas()).toBe('4'), { timeout: 60_000, interval: 250 });
    const audit = (await (await page.request.get('/api/v1/audit?action=approval.approved')).json()) as { data: Array<{ details: Record<string, unknown> }> };
    expect(audit.data.filter((record) => record.details['passkey_assertion'] !== undefined)).toHaveLength(2);
  });

  it("a terminal's device key: its link shows the fingerprint, the passkey confirms it, and only then it is listed as confirmed", async () => {
    // what `skyflo chat --register-device` posts: an Ed25519 public key (SPKI DER, base64url)
    const { publicKey } = generateKeyPairSync('ed25519');
    const der = publicKey.export({ format: 'der', type: 'spki' });
    const registered = await page.request.post('/api/v1/auth/device-keys', { data: { name: 'skyflo chat on laptop', public_key: der.toString('base64url') } });
    expect(registered.status(), await registered.text()).toBe(201);
    const key = (await registered.json()) as { id: string; fingerprint: string; status: string; confirm_url: string };
    expect(key).toMatchObject({ status: 'pending', fingerprint: createHash('sha256').update(der).digest('base64url') });

    // the link the terminal prints opens the confirmation with the same fingerprint to compare
    await page.goto(new URL(key.confirm_url).pathname + new URL(key.confirm_url).search);
    const confirm = page.getByRole('group', { name: 'Confirm device key' });
    await confirm.getByText(key.fingerprint).waitFor();
    // on the phone the link scrolls the confirmation into view, below the profile and passkeys
    await expect.poll(() => confirm.evaluate((element) => { const box = element.getBoundingClientRect(); return box.top >= 0 && box.bottom <= window.innerHeight; })).toBe(true);
    await page.screenshot({ path: `${artifactsDir}/device-key-confirm.png` });
    // a person who does not confirm on the authenticator confirms nothing
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator, isUserVerified: false });
    await confirm.getByRole('button', { name: 'Confirm with my passkey' }).click();
    await page.getByRole('region', { name: 'Device keys' }).getByRole('alert').waitFor({ timeout: 30_000 });
    expect(((await (await page.request.get(`/api/v1/auth/device-keys/${key.id}`)).json()) as { status: string }).status).toBe('pending');
    // a confirmation without any passkey assertion is refused by the engine
    const bare = await page.request.post(`/api/v1/auth/device-keys/${key.id}/confirm`, { data: {} });
    expect(bare.status()).toBeGreaterThanOrEqual(400);
    expect(((await (await page.request.get(`/api/v1/auth/device-keys/${key.id}`)).json()) as { status: string }).status).toBe('pending');

    await cdp.send('WebAuthn.setUserVerified', { authenticatorId: authenticator, isUserVerified: true });
    await confirm.getByRole('button', { name: 'Confirm with my passkey' }).click();
    await page.getByRole('status').getByText('Device key confirmed: the terminal can now sign your approvals.').waitFor();
    await page.getByRole('list', { name: 'Your device keys' }).getByText(/confirmed/).waitFor();
    expect(((await (await page.request.get(`/api/v1/auth/device-keys/${key.id}`)).json()) as { status: string }).status).toBe('active');
  });

  it('during a change freeze the card waits, frozen; the admin breaks the glass with a reason and the passkey (issue 76 item 6)', async () => {
    const hour = 3_600_000;
    const freeze = await page.request.post('/api/v1/freezes', { data: { name: 'release freeze', starts_at: new Date(Date.now() - hour).toISOString(), ends_at: new Date(Date.now() + 2 * hour).toISOString(), reason: 'release week' } });
    expect(freeze.status(), await freeze.text()).toBe(201);
    const before = await replicas();
    stack.llm.reset(scaleScript(5));
    await askInChat(page, 'Scale web to 5 replicas');
    // the chat's card says which freeze holds it and who may still approve it
    await page.getByTestId('approval-card').getByText(/Held: the change freeze "release freeze" holds until/).first().waitFor();
    const pending = (await (await page.request.get('/api/v1/approvals/pending')).json()) as { data: Array<{ call_id: string; conversation_id: string; cannot_decide_code?: string; can_break_glass?: boolean }> };
    const call = pending.data.find((entry) => entry.cannot_decide_code === 'FROZEN')!;
    expect(call).toMatchObject({ can_break_glass: true });

    // the chat's card offers the admin the way to break it: the Approvals page, opened at this call
    await page.getByTestId('approval-card').getByRole('link', { name: 'Break glass on the Approvals page' }).click();
    await page.waitForURL((url) => url.pathname === '/approvals' && url.searchParams.get('call') === call.call_id);
    const item = page.getByTestId('pending-approval').filter({ has: page.getByTestId('break-glass') });
    await item.getByTestId('break-glass').waitFor();
    // no reason: nothing is sent, and the card says what is missing
    await item.getByRole('button', { name: /^Break glass/ }).click();
    await item.getByText(/Breaking the freeze needs a reason/).waitFor();
    await item.getByLabel(/required to break glass/).fill('hotfix for INC-7: web must scale now');
    await page.screenshot({ path: `${artifactsDir}/break-glass.png` });
    await item.getByRole('button', { name: /^Break glass/ }).click();
    await page.getByTestId('decided-approval').getByText(/Approved/).first().waitFor();
    await vi.waitFor(async () => expect(await replicas()).toBe('5'), { timeout: 60_000, interval: 250 });
    expect(before).not.toBe('5');
    const row = await stack.engine.storage.approvals.get(call.conversation_id, call.call_id);
    expect(row?.breakGlass).toMatchObject({ reason: 'hotfix for INC-7: web must scale now', freeze: 'release freeze' });
    expect(row?.passkeyAssertion).toMatchObject({ user_verified: true });
    expect((await page.request.delete(`/api/v1/freezes/${((await freeze.json()) as { id: string }).id}`)).status()).toBe(204);
  });
});
