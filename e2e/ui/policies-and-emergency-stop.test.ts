/**
 * Issue 76 in real Chromium, as an admin meets it: Settings → Policies refuses a broken expression with where it
 * breaks, "What would this have done?" counts the recorded call it would have matched, a saved deny policy then refuses
 * the same call with its message before anyone is asked; and the emergency stop is engaged from the sidebar with a
 * reason, shown on every page, and lifted. A policy declared in the cluster as a SkyfloPolicy object (applied with
 * kubectl to kube-sim) shows where it is declared, with no disable or delete.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  // the engine reads the SkyfloPolicy/SkyfloFreeze objects of namespace skyflo every second
  stack = await startUiStack({ env: { DECLARED_OBJECTS_NAMESPACE: 'skyflo', DECLARED_SYNC_SECONDS: '1' } });
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

const scaleToZero = [
  { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
  { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 0 } }] } },
  { match: { always: true as const }, reply: 'Understood.' },
];

describe('policies and the emergency stop in the Command Center', () => {
  it('a broken expression says where; the preview counts the recorded call; a saved deny refuses it with its message', async () => {
    const { page } = stack;
    // a call on record: scale web to 0, waiting for approval
    stack.llm.reset({ rules: scaleToZero });
    await askInChat(page, 'scale web to 0');
    await page.getByTestId('approval-card').first().waitFor();

    await page.goto('/settings/policies');
    const form = page.getByRole('form', { name: 'New policy' });
    await form.getByLabel('Name').fill('no scale to zero');
    await form.getByLabel('Expression (CEL)').fill('tool == "k8s_scale" &&');
    await form.getByRole('button', { name: 'What would this have done?' }).click();
    await form.getByText(/does not compile at line 1, column \d+/).waitFor();

    await form.getByLabel('Expression (CEL)').fill('tool == "k8s_scale" && args.replicas == 0');
    await form.getByRole('button', { name: 'What would this have done?' }).click();
    const preview = page.getByTestId('policy-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/this would have matched 1\b/);
    expect(await preview.textContent()).toContain('k8s_scale');

    await form.getByLabel('Message').fill('No scale to zero: page the owning team instead.');
    await form.getByLabel('Enabled when saved').check();
    await form.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('region', { name: 'Policies' }).getByText('no scale to zero', { exact: true }).waitFor();
    await stack.screenshot('settings-policies');

    // the same call now: refused before anyone is asked, with the policy's words
    stack.llm.reset({ rules: scaleToZero });
    await askInChat(page, 'scale web to 0 again');
    await page.getByText('No scale to zero: page the owning team instead.').first().waitFor();
    expect(await page.getByTestId('approval-card').getByRole('button', { name: /Approve/ }).count()).toBe(0);
  });

  it('shows a policy declared in the cluster as such, with no disable or delete', async () => {
    const { page } = stack;
    await stack.kubectl('apply', '-f', path.join(repoRoot, 'deploy/helm/skyflo/crds/skyflopolicies.skyflo.ai.yaml'));
    await stack.kubectl('create', 'namespace', 'skyflo');
    const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-ui-policy-'));
    const object = path.join(directory, 'policy.yaml');
    await writeFile(object, 'apiVersion: skyflo.ai/v1alpha1\nkind: SkyfloPolicy\nmetadata: {name: deletes-reviewed, namespace: skyflo}\nspec:\n  expression: tool == "k8s_delete"\n  effect: warn\n  message: Deletes are reviewed in the change meeting.\n');
    await stack.kubectl('apply', '-f', object);
    await page.goto('/settings/policies');
    const policies = page.getByRole('region', { name: 'Policies' });
    // the engine picks the object up within a sync or two: the page is loaded again until its list shows it
    await expect
      .poll(
        async () => {
          await page.reload();
          await policies.getByText('no scale to zero', { exact: true }).waitFor();
          return policies.getByText('declared in the cluster as SkyfloPolicy skyflo/deletes-reviewed').count();
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(1);
    expect(await policies.getByText('deletes-reviewed', { exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Delete policy deletes-reviewed' }).count()).toBe(0);
    // one made here keeps its delete (and its enable/disable)
    expect(await page.getByRole('button', { name: 'Delete policy no scale to zero' }).count()).toBe(1);
    await stack.screenshot('settings-policies-declared');
  });

  it('the emergency stop: engaged from the sidebar with a reason, on every page, lifted by the admin', async () => {
    const { page } = stack;
    await page.goto('/');
    await page.getByRole('button', { name: 'Emergency stop' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('incident 42: bad rollout');
    await dialog.getByRole('button', { name: 'Engage the emergency stop' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Emergency stop on' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('incident 42: bad rollout');
    // every page says so
    await page.goto('/audit');
    await page.getByRole('alert').filter({ hasText: 'Emergency stop on' }).waitFor();
    await stack.screenshot('emergency-stop-banner');
    await page.getByRole('button', { name: 'Lift the emergency stop' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Emergency stop on' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Emergency stop' }).waitFor();
  });
});
