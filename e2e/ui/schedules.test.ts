/**
 * Issue 81: Settings → Schedules in the Command Center. A person adds a read-only check with the form, runs it now,
 * and its history shows the run with its findings and a link to the run's conversation; a second run says what is new
 * and resolved. A check declared in the cluster as a SkyfloSchedule object (applied with kubectl to kube-sim) shows
 * where it is declared and offers no delete. Real headless Chromium against a real engine (llm-sim as the model).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  // the engine reads the SkyfloSchedules of namespace skyflo every second (the chart's engine sets SCHEDULES_NAMESPACE)
  stack = await startUiStack({ env: { SCHEDULES_NAMESPACE: 'skyflo', SCHEDULES_SYNC_SECONDS: '1' } });
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('schedules in the Command Center', () => {
  it('adds a check, runs it now, and shows its history with what changed', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { always: true }, reply: 'Checked.\n\n- web-1 is Pending' }] });
    await page.goto('/settings/schedules');
    await page.getByLabel('Name', { exact: true }).fill('morning check');
    await page.getByLabel('Time zone').fill('UTC');
    await page.getByLabel('What to check').fill('Anything pending in default?');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    await page.getByText('morning check').waitFor();
    expect(await page.getByText('read-only').count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Run morning check now' }).click();
    const history = page.getByRole('list', { name: 'Runs of morning check' });
    await expect.poll(async () => history.textContent(), { timeout: 60_000 }).toContain('1 finding (first run)');
    await expect.poll(async () => history.textContent()).toContain('completed');

    stack.llm.reset({ rules: [{ match: { always: true }, reply: 'Checked.\n\n- db-0 is OOMKilled' }] });
    await page.getByRole('button', { name: 'Run morning check now' }).click();
    await expect.poll(async () => history.textContent(), { timeout: 60_000 }).toContain('1 new · 1 resolved · 0 persist');
    expect(await history.textContent()).toContain('New: db-0 is OOMKilled');
    expect(await history.textContent()).toContain('Resolved: web-1 is Pending');

    await history.getByRole('link', { name: 'Open conversation' }).first().click();
    await page.waitForURL(/\/chat\//);
    await page.getByText('db-0 is OOMKilled').first().waitFor();
  });

  it('shows a check declared in the cluster as such, with no delete', async () => {
    const { page } = stack;
    const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-ui-schedule-'));
    const object = path.join(directory, 'schedule.yaml');
    await writeFile(object, `apiVersion: skyflo.ai/v1alpha1\nkind: SkyfloSchedule\nmetadata: {name: nightly-prod, namespace: skyflo}\nspec:\n  owner: ${ADMIN.email}\n  schedule: "0 2 * * *"\n  prompt: Anything failing in prod?\n`);
    await stack.kubectl('apply', '-f', path.join(repoRoot, 'deploy/helm/skyflo/crds/skyfloschedules.skyflo.ai.yaml'));
    await stack.kubectl('create', 'namespace', 'skyflo');
    await stack.kubectl('apply', '-f', object);
    await page.goto('/settings/schedules');
    // the engine picks the object up within a sync or two (asked of the API, with the page's session), then the page shows it
    const declared = async () => ((await (await page.request.get('/api/v1/schedules')).json()) as { data?: Array<{ managed_by?: string | null }> }).data ?? [];
    await expect.poll(async () => (await declared()).some((item) => item.managed_by === 'SkyfloSchedule skyflo/nightly-prod'), { timeout: 120_000, interval: 1_000 }).toBe(true);
    await page.goto('/settings/schedules');
    await page.getByText('declared in the cluster as SkyfloSchedule skyflo/nightly-prod').waitFor();
    expect(await page.getByRole('button', { name: 'Run nightly-prod now' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Delete schedule nightly-prod' }).count()).toBe(0);
    // one made here keeps its delete
    expect(await page.getByRole('button', { name: 'Delete schedule morning check' }).count()).toBe(1);
  });
});
