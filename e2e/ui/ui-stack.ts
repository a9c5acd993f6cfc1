/**
 * What the Command Center browser tests run against: the UI built by this test run (into a folder of the run's own, so
 * it never races on packages/ui/dist, and once for all of the run's browser suites: sharedUiBuild), a real engine from createEngine serving it (PGlite, the embedded
 * MCP server on kube-sim's kubeconfig), llm-sim as the model, kube-sim with a `web` deployment, and headless
 * Debian Chromium driven by playwright-core. No user exists: the first test creates the admin in the page.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

const run = promisify(execFile);
export const ADMIN = { email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada Lovelace' };
export const artifactsDir = path.join(repoRoot, 'artifacts', 'ui');

/** The flags that let Debian's Chromium run headless in a container without a user namespace sandbox or GPU. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-extensions'];

export const webDeployment = deploymentYaml('web');

export interface UiStack {
  url: string;
  llm: LlmSim;
  kube: KubeSim;
  engine: Engine;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  kubectl(...args: string[]): Promise<string>;
  screenshot(name: string): Promise<string>;
  /** axe-core on the current page: the serious and critical violations (ids with their first target) */
  seriousA11yViolations(): Promise<string[]>;
  close(): Promise<void>;
}

export async function buildUi(outDir: string): Promise<void> {
  await run(process.execPath, [path.join(repoRoot, 'packages', 'ui', 'scripts', 'build-ui.mjs'), '--out-dir', outDir], { cwd: repoRoot });
}

/**
 * The Command Center bundle of this test run, built by `npm run build:ui`'s script (build-ui.mjs) the first time a
 * suite asks, into the run's folder (shared-ui-build-setup.ts), and served read-only by every browser suite after it:
 * one build per run instead of one per suite. A build is made beside its final name and renamed into place, so a suite
 * never serves half a bundle; two suites that start at once may both build, and the second rename loses and is thrown
 * away. Outside that setup (another vitest config, or a benchmark) the caller builds its own, as before.
 */
export async function sharedUiBuild(ownDir: string): Promise<string> {
  // (the benchmarks start this stack outside vitest: no run to share with)
  const runDir = process.env['VITEST'] ? (await import('vitest')).inject('sharedUiBuildDir') : undefined;
  if (!runDir) {
    await buildUi(ownDir);
    return ownDir;
  }
  const built = path.join(runDir, 'ui-dist');
  if (existsSync(path.join(built, 'index.html'))) return built;
  const building = `${built}.building-${process.pid}-${randomUUID()}`;
  await buildUi(building);
  try {
    renameSync(building, built);
  } catch (error) {
    // another suite's build got there first: serve that one (the same sources, the same bundle)
    if (!existsSync(path.join(built, 'index.html'))) throw error;
    rmSync(building, { recursive: true, force: true });
  }
  return built;
}

export interface UiStackOptions {
  colorScheme?: 'light' | 'dark';
  /**
   * false: the engine starts without LLM_MODEL/LLM_HOST, as a fresh install does, so the model is chosen in the
   * Settings page (runtime model settings) instead of by the environment. Default true.
   */
  modelFromEnvironment?: boolean;
  /** more engine settings, e.g. APPROVAL_POLICY=approver; they win over the stack's own */
  env?: Record<string, string>;
}

export async function startUiStack(options: UiStackOptions = {}): Promise<UiStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-e2e-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const [kube, llm, uiDir] = await Promise.all([
    startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: { startDelayMs: 20, readinessDelayMs: 50 } }),
    startLlmSim({ port: 0 }),
    sharedUiBuild(path.join(dir, 'ui-dist')),
  ]);
  const kubectl = async (...args: string[]) =>
    (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'kube-cache') } })).stdout.trim();
  writeFileSync(path.join(dir, 'web.yaml'), webDeployment);
  await kubectl('apply', '-f', path.join(dir, 'web.yaml'));
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: path.join(dir, 'data'),
    ...(options.modelFromEnvironment === false ? {} : { LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: llm.url }),
    LLM_MAX_RETRIES: '2',
    LLM_RETRY_BASE_DELAY_MS: '10',
    KUBECONFIG: kubeconfig,
    TITLE_GENERATION_ENABLED: 'false',
    // Verification keeps watching a successful change for VERIFY_HOLD_SECONDS (default 5) to catch a controller setting it
    // back; these pages have no such controller, so a 1 s hold keeps every step of the flow and saves CI minutes.
    // Suites about the hold itself pass their own value.
    VERIFY_HOLD_SECONDS: '1',
    UI_DIST_DIR: uiDir,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const engine = await createEngine(config, { logger: false });
  const url = await engine.listen();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs });
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1366, height: 860 }, colorScheme: options.colorScheme ?? 'light' });
  // agent steps (model call, dry-run preview, kubectl) can be slow on a loaded machine; page states, not sleeps
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  mkdirSync(artifactsDir, { recursive: true });
  return {
    url,
    llm,
    kube,
    engine,
    browser,
    context,
    page,
    kubectl,
    async screenshot(name) {
      const file = path.join(artifactsDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async seriousA11yViolations() {
      // Checked on a settled page: mid-fade (a message's actions fading in on focus), axe measures the contrast of a
      // half-transparent colour, which the user never reads.
      await page.waitForFunction(() => document.getAnimations().every((animation) => !(animation instanceof CSSTransition)));
      const results = await new AxeBuilder({ page }).analyze();
      return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.nodes[0]?.target.join(' ')} — ${violation.help}`);
    },
    async close() {
      const step = async (name: string, work: () => Promise<unknown>) => {
        const started = Date.now();
        await work();
        if (Date.now() - started > 3000) console.error(`[ui-stack] closing ${name} took ${Date.now() - started} ms`);
      };
      await step('browser', () => browser.close().catch(() => {}));
      await step('engine', () => engine.close());
      await step('llm-sim', () => llm.close());
      await step('kube-sim', () => kube.close());
    },
  };
}

export const readOnlyScript = {
  rules: [
    { match: { lastRole: 'user' as const }, reply: { reasoning: 'The user wants the deployments in default; k8s_get lists them.', toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', all_namespaces: false } }] } },
    { match: { toolName: 'k8s_get', toolResultContains: 'web' }, reply: 'Only **web** runs in `default`.\n\n| Deployment | Ready |\n|---|---|\n| web | 2/2 |' },
  ],
};

export const scaleScript = (replicas: number, afterwards = `web now has ${replicas} replicas.`) => ({
  rules: [
    { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas, namespace: 'default', dry_run: false } }] } },
    { match: { toolName: 'k8s_scale' }, reply: afterwards },
  ],
});

/** A slow answer: `lines` numbered lines streamed token by token. */
export const slowScript = (lines: number, tokenDelayMs: number) => ({
  rules: [{ match: { lastRole: 'user' as const }, reply: { text: Array.from({ length: lines }, (_, index) => `line ${index}`).join('\n\n'), tokenDelayMs } }],
});

/** Asks a question from the home page, as a user does; resolves with the new conversation's path once it opens. */
export async function askInChat(page: Page, question: string): Promise<string> {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Message' }).fill(question);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname;
}

/**
 * Approves on an approval card as a reader does: once its dry-run diff is drawn. The diff loads lazily and changes the
 * card's height; on a loaded machine a click aimed while it arrives can land beside the button (CI lost one so).
 */
export async function approveOnCard(card: Locator): Promise<void> {
  await card.getByTestId('diff-view').first().waitFor();
  await card.getByRole('button', { name: /^Approve/ }).first().click();
}

/** Creates the first admin (ADMIN) through the API and signs the stack's page in as them, through the login page. */
export async function registerAndSignIn(stack: UiStack): Promise<void> {
  const registered = await fetch(`${stack.url}/api/v1/auth/register/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password, full_name: ADMIN.name }),
  });
  if (registered.status !== 201) throw new Error(`registering ${ADMIN.email}: HTTP ${registered.status} ${await registered.text()}`);
  const { page } = stack;
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
}

/** A screenshot of what the page showed when a step failed, next to the other screenshots (call in beforeEach). */
export function screenshotOnFailure(stack: () => UiStack | undefined) {
  return ({ task, onTestFailed }: { task: { name: string }; onTestFailed: (handler: () => Promise<void>) => void }) => {
    onTestFailed(async () => {
      await stack()?.screenshot(`failed-${task.name.slice(0, 48).replace(/\W+/g, '-')}`).catch(() => {});
    });
  };
}
