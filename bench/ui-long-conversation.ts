/**
 * Opening a long conversation in headless Chromium, as it grows (issue 79 item 6): conversations of each size in
 * `--sizes` timeline entries (default 2, 100 and 500: 1, 50 and 250 turns, with tool cards, thinking, tables and code)
 * made through the product (POST /agent/chat answered by llm-sim), then opened by navigating to /chat/<id>. Each run
 * is a fresh page; the figure is the time from navigation start until the last answer is in the scroller's viewport
 * and a frame has been painted after it (performance.now() in a task queued from the requestAnimationFrame that
 * follows the DOM change), and its part after the conversation's JSON arrived (the timeline's own rendering). The
 * sizes are opened in turn, so drift hits them alike; the smallest is the baseline. Then the fitted growth of both.
 * Goals: the largest painted in < 500 ms (median), and painting it costs at most ×1.5 the smallest (the timeline is
 * virtualised: what is painted is what fits the viewport). The engine is e2e/ui/ui-stack.ts's (the Command Center built
 * fresh, PGlite in a data dir): the browser's work is what is measured. A figure, not a test.
 *   npx tsx bench/ui-long-conversation.ts [--sizes 2,100,500] [--runs 7]
 */
import { registerAndSignIn, startUiStack } from '../e2e/ui/ui-stack.ts';
import { createLongConversation, question } from '../e2e/ui/long-conversation.ts';
import { parseArgs } from 'node:util';
import { failBench, machineLoad, printBenchHeader } from './support/bench-header.ts';
import { growthLine } from './support/growth.ts';
import { median } from './support/statistics.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '2,100,500' }, runs: { type: 'string', default: '7' } } });
const SIZES = values.sizes.split(',').map(Number).sort((a, b) => a - b);
const RUNS = Number(values.runs);
if (SIZES.length < 2 || SIZES.some((size) => !Number.isInteger(size) || size < 2 || size % 2 !== 0)) failBench('--sizes must be two or three even numbers of timeline entries, e.g. 2,100,500');
if (!Number.isInteger(RUNS) || RUNS < 3) failBench('--runs must be a whole number, 3 or more');
const GOAL_MS = 500;

printBenchHeader('ui-long-conversation', 'PGlite in a fresh data dir (e2e/ui/ui-stack.ts)');

/** when the last answer was painted and when the conversation's JSON had arrived, in ms after navigation start */
interface Painted {
  ms: number;
  fetchedMs: number;
  articles: number;
  nodes: number;
}

declare global {
  interface Window {
    lastAnswerPainted?: Promise<Painted>;
  }
}

/**
 * Runs in the page before the app (passed as source: tsx's helpers do not exist there). Resolves once the last
 * answer holds `marker` and is in the viewport, in the task after the next frame.
 */
function watchLastAnswer(marker: string): Promise<Painted> {
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const articles = document.querySelectorAll('article[aria-label="Skyflo"]');
      const last = articles[articles.length - 1];
      if (!last?.textContent?.includes(marker)) return;
      const box = last.getBoundingClientRect();
      if (box.height === 0 || box.bottom <= 0 || box.top >= innerHeight) return;
      observer.disconnect();
      // rAF runs before the frame is painted; a task queued from it runs after
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          const fetched = performance.getEntriesByType('resource').find((entry) => /\/api\/v1\/conversations\/[0-9a-f-]{36}$/.test(entry.name)) as PerformanceResourceTiming | undefined;
          resolve({ ms: performance.now(), fetchedMs: fetched?.responseEnd ?? 0, articles: document.querySelectorAll('article[aria-label="Skyflo"]').length, nodes: document.getElementsByTagName('*').length });
        };
        channel.port2.postMessage(undefined);
      });
    });
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  });
}

// the conversations are built through the API faster than a person's 600 requests a minute
const stack = await startUiStack({ env: { RATE_LIMIT_PER_MINUTE: '6000' } });
try {
  await registerAndSignIn(stack);
  const started = Date.now();
  const conversations: Array<{ size: number; id: string }> = [];
  for (const size of SIZES) conversations.push({ size, id: await createLongConversation(stack, size / 2) });
  const largest = conversations.at(-1)!;
  const bytes = (await (await stack.context.request.get(`/api/v1/conversations/${largest.id}`)).body()).length;
  console.log(`Made conversations of ${SIZES.join(', ')} entries through POST /agent/chat in ${((Date.now() - started) / 1000).toFixed(1)} s (the largest: GET /conversations/:id ${(bytes / 1024).toFixed(0)} KiB)`);

  /** One cold open of the conversation in a new page (same browser, so the app's assets come from the cache). */
  async function open(id: string, marker: string) {
    const page = await stack.context.newPage();
    await page.addInitScript(`window.lastAnswerPainted = (${watchLastAnswer.toString()})(${JSON.stringify(marker)})`);
    await page.goto(`/chat/${id}`);
    const result = await page.evaluate(() => window.lastAnswerPainted!);
    await page.close();
    return result;
  }

  const spread = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms`;
  const runs = new Map<number, Painted[]>(SIZES.map((size) => [size, []]));
  // a warm-up of each (compiles the app's code, fills the HTTP cache), then in turn so drift hits them alike
  for (const { size, id } of conversations) await open(id, question(size / 2 - 1));
  for (let run = 0; run < RUNS; run += 1) for (const { size, id } of conversations) runs.get(size)!.push(await open(id, question(size / 2 - 1)));
  const figures = (results: Painted[]) => {
    const painted = results.map((result) => result.ms);
    return { painted: median(painted), spread: spread(painted), fetched: median(results.map((result) => result.fetchedMs)), rendering: median(results.map((result) => result.ms - result.fetchedMs)) };
  };
  console.log(`Medians of ${RUNS} opens, ms after navigation start; ${machineLoad()}:`);
  const measured = SIZES.map((size) => ({ size, ...figures(runs.get(size)!), last: runs.get(size)!.at(-1)! }));
  for (const point of measured) {
    console.log(
      `  ${point.size} entries: last answer painted ${point.painted.toFixed(0)} ms (${point.spread}); JSON arrived at ${point.fetched.toFixed(0)}, painted ${point.rendering.toFixed(0)} ms later; ` +
        `${point.last.articles} of ${point.size / 2} answers in the DOM, ${point.last.nodes} elements`,
    );
  }
  const painted = growthLine('last answer painted', measured.map((point) => ({ size: point.size, value: point.painted })), (ms) => `${ms.toFixed(0)} ms`, { maxRatio: 1.5, why: 'the timeline paints what fits the viewport' });
  console.log(painted.line);
  console.log(growthLine('from the JSON to the paint', measured.map((point) => ({ size: point.size, value: point.rendering })), (ms) => `${ms.toFixed(0)} ms`).line);
  const largestPainted = measured.at(-1)!.painted;
  console.log(`Goal (the ${SIZES.at(-1)}-entry conversation's last message painted < ${GOAL_MS} ms): ${largestPainted < GOAL_MS ? 'met' : 'not met'}; ${machineLoad()}`);
} finally {
  await stack.close();
}
