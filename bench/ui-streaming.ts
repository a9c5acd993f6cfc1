/**
 * Streaming a long answer in headless Chromium: a 5,000-token answer from llm-sim at 200 tokens/s, rendered by the
 * Command Center (tokens batched per animation frame). Prints the main thread's busy share over the stream (Chrome
 * DevTools Protocol Performance.getMetrics TaskDuration) and the long tasks (> 50 ms, PerformanceObserver
 * 'longtask'). Targets: no task over 50 ms, busy < 30 % of the stream's duration. A figure, not a test.
 */
import { ADMIN, startUiStack } from '../e2e/ui/ui-stack.ts';
import { printBenchHeader } from './support/bench-header.ts';

printBenchHeader('ui-streaming', 'PGlite in a fresh data dir (e2e/ui/ui-stack.ts)');

const TOKENS = 5_000;
const TOKENS_PER_SECOND = 200;

const stack = await startUiStack();
try {
  const { page } = stack;
  const registered = await fetch(`${stack.url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /What should we look at/ }).waitFor();

  // ~5,000 tokens of Markdown-ish prose: paragraphs, a list and a table every so often
  const words: string[] = [];
  for (let index = 0; words.length < TOKENS; index += 1) {
    words.push(...`The **deployment** web-${index} rolled out revision ${index} in \`default\` and every replica is ready.`.split(' '));
    if (index % 10 === 9) words.push('\n\n-', 'item', 'one\n-', 'item', 'two\n\n');
  }
  stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: { text: words.slice(0, TOKENS).join(' '), tokensPerSecond: TOKENS_PER_SECOND } }] });

  const cdp = await stack.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.evaluate(() => {
    (window as unknown as { longTasks: number[] }).longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) (window as unknown as { longTasks: number[] }).longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
  const metric = async (name: string) => ((await cdp.send('Performance.getMetrics')).metrics.find((item) => item.name === name)?.value ?? 0);

  await page.getByRole('textbox', { name: 'Message' }).fill('Write the long rollout report');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/chat\//);
  await page.getByTestId('run-status').getByText('Working…').waitFor();
  const busyBefore = await metric('TaskDuration');
  const started = Date.now();
  await page.getByTestId('run-status').getByText('Working…').waitFor({ state: 'detached', timeout: 120_000 });
  const seconds = (Date.now() - started) / 1000;
  const busy = (await metric('TaskDuration')) - busyBefore;
  // a new page load resets the observer; read long tasks from this document
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks?: number[] }).longTasks ?? []);
  console.log(`Streamed ${TOKENS} tokens at ${TOKENS_PER_SECOND} tokens/s in ${seconds.toFixed(1)} s`);
  console.log(`Main thread busy: ${busy.toFixed(2)} s = ${((busy / seconds) * 100).toFixed(1)} % of the stream (target < 30 %)`);
  console.log(`Long tasks (> 50 ms): ${longTasks.length}${longTasks.length ? `, longest ${Math.max(...longTasks).toFixed(0)} ms` : ''} (target 0)`);
} finally {
  await stack.close();
}
