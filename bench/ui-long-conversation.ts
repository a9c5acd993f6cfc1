/**
 * Opening a long conversation in headless Chromium: 250 turns (500 timeline entries, with tool cards, thinking,
 * tables and code) made through the product (POST /agent/chat answered by llm-sim), then opened by navigating to
 * /chat/<id>. Each run is a fresh page; the figure is the time from navigation start until the last answer is in the
 * scroller's viewport and a frame has been painted after it (performance.now() in a task queued from the
 * requestAnimationFrame that follows the DOM change). The baseline, measured in the same run, opens a 1-turn
 * conversation: the app, the session check and the fetch cost the same in both, so the ratio is the timeline's own
 * cost. Goal: the last message painted in < 500 ms (median). A figure, not a test.
 */
import { registerAndSignIn, startUiStack } from '../e2e/ui/ui-stack.ts';
import { createLongConversation, question } from '../e2e/ui/long-conversation.ts';
import { printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';

printBenchHeader('ui-long-conversation', 'PGlite in a fresh data dir (e2e/ui/ui-stack.ts)');

const TURNS = 250;
const RUNS = 7;
const GOAL_MS = 500;

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
  const short = await createLongConversation(stack, 1);
  const long = await createLongConversation(stack, TURNS);
  const seconds = (Date.now() - started) / 1000;
  const size = (await (await stack.context.request.get(`/api/v1/conversations/${long}`)).body()).length;
  console.log(`Made a ${TURNS * 2}-entry conversation through POST /agent/chat in ${seconds.toFixed(1)} s (GET /conversations/:id: ${(size / 1024).toFixed(0)} KiB)`);

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
  const runs = { short: [] as Painted[], long: [] as Painted[] };
  // a warm-up of each (compiles the app's code, fills the HTTP cache), then alternate so drift hits both alike
  await open(short, question(0));
  await open(long, question(TURNS - 1));
  for (let run = 0; run < RUNS; run += 1) {
    runs.short.push(await open(short, question(0)));
    runs.long.push(await open(long, question(TURNS - 1)));
  }
  const figures = (results: Painted[]) => {
    const painted = results.map((result) => result.ms);
    const rendering = results.map((result) => result.ms - result.fetchedMs);
    return { painted: median(painted), spread: spread(painted), fetched: median(results.map((result) => result.fetchedMs)), rendering: median(rendering) };
  };
  const baseline = figures(runs.short);
  const measured = figures(runs.long);
  const last = runs.long.at(-1)!;
  console.log(`Medians of ${RUNS} opens, ms after navigation start:`);
  console.log(`  baseline, 2 entries: last answer painted ${baseline.painted.toFixed(0)} ms (${baseline.spread}); JSON arrived at ${baseline.fetched.toFixed(0)}, painted ${baseline.rendering.toFixed(0)} ms later`);
  console.log(
    `  ${TURNS * 2} entries: ${measured.painted.toFixed(0)} ms (${measured.spread}); JSON arrived at ${measured.fetched.toFixed(0)}, painted ${measured.rendering.toFixed(0)} ms later; ` +
      `${last.articles} of ${TURNS} answers in the DOM, ${last.nodes} elements`,
  );
  console.log(
    `  ratio to the baseline: ${(measured.painted / baseline.painted).toFixed(2)}× to paint (+${(measured.painted - baseline.painted).toFixed(0)} ms), ` +
      `${(measured.rendering / baseline.rendering).toFixed(2)}× from JSON to paint`,
  );
  console.log(`Goal (last message painted < ${GOAL_MS} ms): ${measured.painted < GOAL_MS ? 'met' : 'not met'}`);
} finally {
  await stack.close();
}
