/**
 * Issue 36 items 1 and 5 in the Command Center, in real headless Chromium: an admin adds a Prometheus data source in
 * Integrations (a token the source refuses is not saved; the accepted one is tested right after saving and never
 * shown again), then a conversation where the scripted model calls prometheus_query_range shows the series as a chart
 * in the tool card with the query, "Open in Prometheus", values on hover and drag-to-zoom — on a desktop and a phone
 * (390 px, nothing wider than the screen). The data source is a second kube-sim serving its Prometheus API on
 * loopback (the incident sandbox: checkout rolled out a slower build 20 minutes ago), saved for every cluster. Issue 78:
 * the chart has a legend, its values in the unit the metric names spell, a time-range control, a marker at the
 * rollout, and its "Open in Prometheus" link opens (kube-sim's /graph page).
 * Screenshots: packages/ui/docs/prometheus-chart-desktop.png, prometheus-chart-phone.png, integrations-data-sources.png.
 */
import path from 'node:path';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const metricsToken = 'prom-e2e-read-token-7f3a91';
const p99 = 'histogram_quantile(0.99, sum by (le, app) (rate(http_request_duration_seconds_bucket{namespace="shop"}[5m])))';
const docs = path.join(repoRoot, 'packages', 'ui', 'docs');

let stack: UiStack;
let metrics: KubeSim;

beforeAll(async () => {
  [stack, metrics] = await Promise.all([startUiStack(), startKubeSim({ scenario: 'incidents', observability: { bearerToken: metricsToken, publicGraph: true } })]);
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
  await metrics?.close();
}, 180_000);

describe('Prometheus in the Command Center', () => {
  it('an admin adds Prometheus: a refused token is not saved, the accepted one is tested on save and never shown', async () => {
    const { page } = stack;
    await page.goto('/integrations');
    const form = page.getByRole('region', { name: 'Add data source' });
    await form.getByLabel('Kind').selectOption('prometheus');
    await form.getByLabel('Name', { exact: true }).fill('prod-prometheus');
    await form.getByLabel('Prometheus URL').fill(metrics.observability!.url);
    await form.getByLabel('Bearer token or password').fill('wrong-token');
    await form.getByRole('button', { name: 'Add data source' }).click();
    await expect.poll(async () => form.textContent()).toMatch(/credentials were refused \(HTTP 401\)/);
    expect(await page.getByTestId('data-source').count()).toBe(0);

    await form.getByLabel('Bearer token or password').fill(metricsToken);
    await form.getByRole('button', { name: 'Add data source' }).click();
    await expect.poll(async () => form.getByRole('status').textContent()).toMatch(/^Connected/);
    const card = page.getByTestId('data-source');
    await card.waitFor();
    expect(await card.textContent()).toContain('prod-prometheus');
    expect(await card.textContent()).toContain('every cluster');
    expect(await card.textContent()).toContain(`…${metricsToken.slice(-4)}`);
    expect(await page.content()).not.toContain(metricsToken);
    await card.screenshot({ path: path.join(docs, 'integrations-data-sources.png') });

    // rename it; the secret field stays empty, so the stored token is kept (the source still answers the test)
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Name', { exact: true }).fill('prometheus-main');
    await card.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => card.locator('span.font-semibold').first().textContent()).toBe('prometheus-main');
    await card.getByRole('button', { name: 'Test' }).click();
    await expect.poll(async () => card.getByRole('status').textContent()).toMatch(/^Connected/);

    // disable and enable again: the status the agent's tools depend on
    await card.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(async () => card.textContent()).toContain('Disabled');
    await card.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(async () => card.textContent()).toContain('Active');
  });

  it('a prometheus_query_range result is a chart in the tool card: the query, a link, values on hover, zoom', async () => {
    const { page } = stack;
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' }, reply: { toolCalls: [{ name: 'prometheus_query_range', arguments: { query: p99, start: '1h' } }] } },
        { match: { toolName: 'prometheus_query_range' }, reply: 'checkout has the highest p99 latency since the rollout.' },
      ],
    });
    await askInChat(page, 'why did checkout get slower after the last rollout?');
    const chart = page.getByTestId('prometheus-chart');
    await chart.waitFor();
    await chart.locator('.recharts-line').first().waitFor();
    expect(await chart.getByTestId('chart-query').textContent()).toBe(p99);
    const link = new URL((await chart.getByRole('link', { name: 'Open in Prometheus' }).getAttribute('href'))!);
    expect(`${link.origin}${link.pathname}`).toBe(`${metrics.observability!.url.replace(/\/$/, '')}/graph`);
    expect(link.searchParams.get('g0.expr')).toBe(p99);
    // no Grafana is configured for this source: no Grafana link
    expect(await chart.getByRole('link', { name: 'Open in Grafana' }).count()).toBe(0);
    // the link opens: kube-sim's /graph draws the same query over the same range
    const graph = await fetch(link);
    expect(graph.status).toBe(200);
    expect(await graph.text()).toMatch(/<polyline /);

    // issue 78: a legend, the unit from the metric name, the rollout marked where it happened
    expect(await chart.getByTestId('chart-legend').textContent()).toContain('{app="checkout"}');
    expect(await chart.textContent()).toContain('Values in seconds, from the metric name.');
    await expect.poll(async () => chart.locator('.recharts-surface').textContent()).toMatch(/\d (ms|s)/);
    expect(await chart.getByTestId('chart-markers').textContent()).toMatch(/rollout: shop\/checkout: new ReplicaSet checkout-[a-z0-9]+/);
    // a vertical line has no width, so it never counts as visible: its element and position are checked instead
    await expect.poll(async () => chart.locator('.recharts-reference-line line').count()).toBeGreaterThan(0);
    expect(Number(await chart.locator('.recharts-reference-line line').last().getAttribute('x1'))).toBeGreaterThan(0);

    // hover: the tooltip names a series and its value at that time
    const plot = (await chart.locator('.recharts-surface').boundingBox())!;
    await page.mouse.move(plot.x + plot.width * 0.6, plot.y + plot.height / 2);
    const tooltip = chart.locator('.recharts-tooltip-wrapper');
    await expect.poll(async () => tooltip.textContent()).toMatch(/\{app="checkout"\} : [0-9.]+/);
    await chart.screenshot({ path: path.join(docs, 'prometheus-chart-desktop.png') });

    // drag across the plot to zoom; "Reset zoom" shows the whole range again
    const axesBefore = await chart.locator('.recharts-surface').textContent();
    await page.mouse.move(plot.x + plot.width * 0.3, plot.y + plot.height / 2);
    await page.mouse.down();
    await page.mouse.move(plot.x + plot.width * 0.5, plot.y + plot.height / 2, { steps: 8 });
    await page.mouse.move(plot.x + plot.width * 0.7, plot.y + plot.height / 2, { steps: 8 });
    await page.mouse.up();
    await chart.getByRole('button', { name: 'Reset zoom' }).waitFor();
    expect(await chart.textContent()).toMatch(/Zoomed to \d{1,2}:\d{2}( [AP]M)?–\d{1,2}:\d{2}( [AP]M)?\./);
    expect(await chart.locator('.recharts-surface').textContent()).not.toEqual(axesBefore);
    await chart.getByRole('button', { name: 'Reset zoom' }).click();
    await expect.poll(async () => chart.getByRole('button', { name: 'Reset zoom' }).count()).toBe(0);
    expect(await chart.locator('.recharts-surface').textContent()).toEqual(axesBefore);

    // the range control: the last 15 minutes of what the query returned, then all of it again
    const range = chart.getByRole('group', { name: 'Time range' });
    await range.getByRole('button', { name: '15m' }).click();
    await expect.poll(async () => range.getByRole('button', { name: '15m' }).getAttribute('aria-pressed')).toBe('true');
    expect(await chart.locator('.recharts-surface').textContent()).not.toEqual(axesBefore);
    await range.getByRole('button', { name: 'all' }).click();
    await expect.poll(async () => chart.locator('.recharts-surface').textContent()).toEqual(axesBefore);

    // a phone: the card fits the screen, nothing scrolls sideways
    await page.setViewportSize({ width: 390, height: 844 });
    await chart.scrollIntoViewIfNeeded();
    await expect.poll(async () => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const box = (await chart.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    // the plot, the query and the link each fit inside the card (the tooltip, hidden, may sit outside it)
    for (const part of [chart.locator('.recharts-wrapper'), chart.getByTestId('chart-query'), chart.getByRole('link', { name: 'Open in Prometheus' })]) {
      await expect.poll(async () => { const inner = (await part.boundingBox())!; return inner.x >= box.x && inner.x + inner.width <= box.x + box.width; }).toBe(true);
    }
    await chart.getByRole('link', { name: 'Open in Prometheus' }).waitFor();
    await chart.screenshot({ path: path.join(docs, 'prometheus-chart-phone.png') });
    await page.setViewportSize({ width: 1366, height: 860 });
  });
});
