/**
 * `skyflo chat`: wires options, login, output style and input into sessions of runTurn. Three ways to run:
 * interactive (stdin is a terminal, no question given), one-shot (-p, a trailing question, or text on stdin),
 * and the benchmark contract (--kubeconfig/--llm-provider/--model without --url: an embedded engine).
 */
import { createWriteStream } from 'node:fs';
import type { AgentEvent } from '@skyflo/protocol';
import { createApiClient, type ApiClient, type Session } from './api-client.ts';
import { decider } from './approval-prompt.ts';
import { llmModelFrom } from './benchmark-contract.ts';
import type { Context, Io } from './chat-context.ts';
import { ChatError } from './chat-error.ts';
import { readChatEnvironment } from './chat-environment.ts';
import { checkContext, knownClusters } from './clusters.ts';
import { chatUsage, parseChatOptions, type ChatOptions } from './chat-options.ts';
import { createPalette, shouldUseColors } from './colors.ts';
import type { EmbeddedEngine } from './embedded-engine.ts';
import { handleNoAccountYet, readFirstRunState } from './first-run.ts';
import { createRenderer, type OutputStyle } from './renderer.ts';
import { exitCodeOf, runTurn, type Turn, type TurnOutcome } from './run-turn.ts';
import { listConversations, runSlashCommand, showHistory } from './slash-commands.ts';
import { createTerminalInput } from './terminal-input.ts';
import { createTokenStore, type TokenStore } from './token-store.ts';
import { registerDevice } from './device-registration.ts';
import { wrapLines } from './terminal-rows.ts';

const DEFAULT_URL = 'http://127.0.0.1:8080';
const EXIT_INTERRUPTED = 130;

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** Leaves the process with `code` after running cleanups (embedded engine, trace file), at most a few seconds. */
async function finish(context: Context, code: number): Promise<never> {
  context.input.close();
  const cleanups = context.cleanups.splice(0).reverse();
  const done = (async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  })();
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  process.exit(code);
}

// ---------------------------------------------------------------------------------------------------- login

async function interactiveLogin(context: Context, client: ApiClient, store: TokenStore): Promise<Session> {
  const { input, io, palette } = context;
  io.stdout.write(`${palette.bold('Log in to')} ${client.baseUrl}\n`);
  let email = context.options.email;
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (!email) {
      const line = await input.readLine('Email: ');
      if (line.kind !== 'line') return finish(context, line.kind === 'interrupt' ? EXIT_INTERRUPTED : 1);
      email = line.text.trim();
      if (!email) continue;
    }
    const password = await input.readHidden('Password (not shown): ');
    if (password.kind !== 'line') return finish(context, password.kind === 'interrupt' ? EXIT_INTERRUPTED : 1);
    try {
      const session = await client.login({ email, password: password.text });
      store.save(client.baseUrl, { ...session, email });
      io.stdout.write(`${wrapLines(palette.dim(`Logged in as ${email}; tokens kept in ${store.file} (readable by you only).`), io.stdout.columns)}\n`);
      return session;
    } catch (error) {
      if (!(error instanceof ChatError) || error.code !== 'LOGIN_FAILED') throw error;
      io.stderr.write(`${palette.red(error.message)}\n`);
      if (error.status === 429) break;
      email = context.options.email;
    }
  }
  throw new ChatError('LOGIN_FAILED', 'Login failed; check the email and password (an admin can reset the password in the web UI).');
}

/**
 * --logout: ends the stored refresh token on the engine and forgets the login. Without --url and SKYFLO_URL, the
 * login to forget is the one stored, wherever that engine runs (not the default :8080); with several, one is named.
 */
async function logout(context: Context, store: TokenStore, given: string): Promise<never> {
  let url = given;
  if (!context.options.url && !context.env.url) {
    const saved = store.servers();
    if (saved.length === 0) {
      context.io.stdout.write(`No stored login to forget (${store.file} holds none).\n`);
      return finish(context, 0);
    }
    if (saved.length > 1) throw new ChatError('INVALID_OPTIONS', `Logins are stored for ${saved.join(', ')}: pass --url with the one to log out of.`);
    url = saved[0]!;
  }
  const current = store.load(url);
  if (current) {
    await createApiClient({ baseUrl: url, session: current }).logout();
    store.remove(url);
    context.io.stdout.write(`Logged out of ${url} (${store.file} no longer holds its tokens).\n`);
  } else context.io.stdout.write(`No stored login for ${url}.\n`);
  return finish(context, 0);
}

/** A client with a working session: SKYFLO_TOKEN, the stored login (refreshed if expired) or a new login. */
async function connect(context: Context, url: string): Promise<{ client: ApiClient; email?: string }> {
  const store = createTokenStore({ configDir: context.env.configDir, warn: (message) => context.io.stderr.write(`skyflo: ${message}\n`) });
  const fromEnvironment = context.env.token !== undefined;
  const stored = fromEnvironment || context.options.login ? undefined : store.load(url);
  const client = createApiClient({
    baseUrl: url,
    ...(context.env.token ? { session: { accessToken: context.env.token } } : stored ? { session: stored } : {}),
    // Only a login this client keeps is rewritten; SKYFLO_TOKEN is the caller's to manage.
    onSessionRenewed: (session) => {
      if (!fromEnvironment) store.save(url, { ...session, ...(stored?.email ? { email: stored.email } : {}) });
    },
  });

  if (context.options.logout) return logout(context, store, url);

  if (client.session()) {
    try {
      const me = await client.me();
      return { client, email: me.email };
    } catch (error) {
      const expired = error instanceof ChatError && error.code === 'NOT_LOGGED_IN';
      if (!expired || fromEnvironment || !context.input.isTTY) throw error;
      context.io.stderr.write(`${context.palette.yellow('Your stored login has expired.')}\n`);
      client.setSession(undefined);
    }
  }
  // A fresh engine has no account: say where the first one is created instead of failing every password.
  const firstRun = await readFirstRunState(url);
  if (firstRun?.pending) {
    const created = await handleNoAccountYet(context, client, firstRun);
    store.save(client.baseUrl, created);
    return { client, email: created.email };
  }
  if (!context.input.isTTY) {
    throw new ChatError('NOT_LOGGED_IN', `Not logged in to ${url}: run \`skyflo chat --login\` in a terminal once, or set SKYFLO_TOKEN.`);
  }
  await interactiveLogin(context, client, store);
  const me = await client.me();
  return { client, email: me.email };
}

// ---------------------------------------------------------------------------------------------------- turns

/** Runs one turn with Ctrl-C wired: the first stops the run, a second quits. */
async function converse(context: Context, client: ApiClient, message: string, conversationId: string | undefined, undoOf?: string, cluster?: string): Promise<{ outcome: TurnOutcome; interrupted: boolean }> {
  const abort = new AbortController();
  const onEvent = (event: AgentEvent) => {
    context.trace?.write(`${JSON.stringify(event)}\n`);
    context.renderer.event(event);
  };
  let turn: Turn | undefined;
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      context.renderer.info(context.palette.yellow('stopping the run… (Ctrl-C again to quit)'));
      void turn?.stop();
      return;
    }
    context.quitting = true;
    abort.abort();
    void finish(context, EXIT_INTERRUPTED);
  };
  // Ctrl-C reaches us as a key (terminal in raw mode) or as SIGINT (no terminal); both land here.
  context.onInterrupt = onInterrupt;
  let stopWatching = context.input.watchInterrupts(onInterrupt);
  const decide = decider(context, client);
  try {
    turn = runTurn({
      client,
      message,
      ...(conversationId ? { conversationId } : {}),
      ...(undoOf ? { undoOf } : {}),
      ...(cluster ? { context: cluster } : {}),
      onEvent,
      signal: abort.signal,
      onNotice: (text) => context.renderer.info(context.palette.yellow(text)),
      decide: async (approval, position) => {
        // The approval prompt reads keys itself (Ctrl-C there leaves the call pending rather than stopping). The
        // terminal stays raw across the hand-over, so keys typed meanwhile are neither echoed nor left for the prompt.
        const releaseRaw = context.input.holdRaw();
        stopWatching();
        try {
          return await decide(approval, position);
        } finally {
          stopWatching = context.input.watchInterrupts(onInterrupt);
          releaseRaw();
        }
      },
    });
    return { outcome: await turn.done, interrupted: interrupts > 0 };
  } finally {
    stopWatching();
    // A Ctrl-C between this turn and the next prompt counts as the second one: quit.
    context.onInterrupt = undefined;
  }
}

/** Why a call was left pending, unless the non-interactive decider already explained it in full. */
function reportOutcome(context: Context, outcome: TurnOutcome): void {
  if (outcome.status === 'awaiting_approval' && outcome.error && (context.input.isTTY || context.options.approveAll)) context.renderer.notice(`skyflo: ${outcome.error}`);
}

async function interactive(context: Context, client: ApiClient, email: string | undefined, conversationId: string | undefined): Promise<never> {
  const { palette, input, renderer } = context;
  renderer.info(`${palette.bold('Skyflo')} ${palette.dim(`${client.baseUrl}${email ? ` as ${email}` : ''}`)}`);
  renderer.info(palette.dim('Ask about your cluster. Changes wait for your approval. /help for commands, Ctrl-D to quit.'));
  // the cluster new conversations start on: --context, then /context <name>; unset = the engine's default
  let pinned = context.options.context;
  if (pinned) renderer.info(`${palette.dim('cluster')} ${palette.bold(pinned)} ${palette.dim('(/context lists the clusters)')}`);
  let current = conversationId;
  let pendingQuit = false;
  for (;;) {
    const line = await input.readLine(palette.bold(palette.cyan('› ')));
    if (line.kind === 'eof') return finish(context, 0);
    if (line.kind === 'interrupt') {
      if (pendingQuit) return finish(context, EXIT_INTERRUPTED);
      pendingQuit = true;
      renderer.info(palette.dim('(Ctrl-C again or Ctrl-D to quit)'));
      continue;
    }
    pendingQuit = false;
    const text = line.text.trim();
    if (!text) continue;
    const command = await runSlashCommand(context, client, text, current, pinned);
    if (command.handled) {
      if (command.quit) return finish(context, 0);
      current = command.conversation;
      if (command.pin) pinned = command.pin;
      // /undo runs as a turn: the engine proposes the inverse, and its card is decided here like any other
      if (!command.undo) continue;
    }
    try {
      const { outcome, interrupted } = await converse(context, client, text, current, command.handled ? command.undo : undefined, current ? undefined : pinned);
      current = outcome.conversationId ?? current;
      reportOutcome(context, outcome);
      // "Ctrl-C again to quit" holds at the next prompt too
      pendingQuit = interrupted;
    } catch (error) {
      if (context.quitting) return new Promise<never>(() => undefined);
      renderer.error((error as Error).message);
    }
  }
}

// ---------------------------------------------------------------------------------------------------- entry

export async function chat(argv: string[], io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<never> {
  let options: ChatOptions;
  try {
    options = parseChatOptions(argv);
  } catch (error) {
    io.stderr.write(`skyflo chat: ${(error as Error).message}\n\nRun skyflo chat --help for the options.\n`);
    process.exit(2);
  }
  if (options.help) {
    io.stdout.write(chatUsage);
    process.exit(0);
  }
  const env = readChatEnvironment();
  const colors = !options.json && shouldUseColors({ isTTY: Boolean(io.stdout.isTTY), noColor: env.noColor, forceColor: env.forceColor });
  const palette = createPalette(colors);
  const style: OutputStyle = options.json ? 'json' : io.stdout.isTTY ? 'tty' : 'plain';
  const renderer = createRenderer({ style, palette, colors, out: io.stdout, err: io.stderr, quiet: options.quiet, showToolOutput: options.showToolOutput, live: style === 'tty' });
  const context: Context = { options, env, io, input: createTerminalInput(io.stdin, io.stdout), renderer, palette, style, quitting: false, cleanups: [] };
  // A reader that stops early (`skyflo chat -p … | head -1`) closes the pipe: leave quietly, as other command-line
  // tools do, instead of an unhandled EPIPE with a stack trace.
  for (const stream of [io.stdout, io.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (context.quitting) return;
      context.quitting = true;
      void finish(context, 0);
    });
  }
  // One SIGINT handler for the whole command, so Ctrl-C never kills it half-way (the embedded engine's temporary
  // data, the terminal mode): it stops the running turn, or quits through the cleanups.
  process.on('SIGINT', () => {
    if (context.onInterrupt) context.onInterrupt();
    else if (!context.quitting) {
      context.quitting = true;
      void finish(context, EXIT_INTERRUPTED);
    }
  });

  try {
    let llmModel: string | undefined;
    try {
      llmModel = llmModelFrom({ ...(options.llmProvider ? { provider: options.llmProvider } : {}), ...(options.model ? { model: options.model } : {}) });
    } catch (error) {
      io.stderr.write(`skyflo chat: ${(error as Error).message}\n`);
      process.exit(2);
    }
    const embedded = !options.url && (options.kubeconfig !== undefined || llmModel !== undefined);
    if (options.url && llmModel) renderer.notice('skyflo: --llm-provider/--model are ignored with --url: the engine uses its own LLM_MODEL.');

    if (options.tracePath) {
      const trace = createWriteStream(options.tracePath, { flags: 'w' });
      context.trace = trace;
      context.cleanups.push(() => new Promise<void>((resolve) => trace.end(() => resolve())));
    }
    if (options.approveAll && !options.quiet) {
      renderer.notice('skyflo: --approve-all: every change is approved without asking (evaluation in throw-away clusters only); each approval is printed here and recorded as automatic.');
    }

    // The prompt: -p/argument, else stdin when it is not a terminal (one prompt: everything up to EOF).
    let prompt = options.prompt;
    if (prompt === undefined && !options.list && !options.logout && !options.registerDevice && !io.stdin.isTTY && !(options.login && !embedded)) {
      prompt = (await readAll(io.stdin)).trim();
      if (!prompt) throw new ChatError('INVALID_OPTIONS', 'stdin is not a terminal and held no question: pass -p "question", pipe one in, or run in a terminal');
    }

    let client: ApiClient;
    let email: string | undefined;
    if (embedded) {
      if (!llmModel && !env.variables['LLM_MODEL']) {
        throw new ChatError('EMBEDDED_ENGINE_FAILED', 'No usable model for the embedded engine: no model was named. Pass --llm-provider and --model (e.g. --llm-provider openai --model gpt-4o with OPENAI_API_KEY), or set LLM_MODEL.');
      }
      if (!options.quiet) renderer.notice(`skyflo: starting an embedded engine${options.kubeconfig ? ` on ${options.kubeconfig}` : ''}${llmModel ? ` with ${llmModel}` : ''}…`);
      // The engine (and its database, model SDKs, MCP server) is loaded only in this mode, so talking to a running
      // engine starts in a fraction of the time.
      const { startEmbeddedEngine } = await import('./embedded-engine.ts');
      const engine: EmbeddedEngine = await startEmbeddedEngine({ ...(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}), ...(llmModel ? { llmModel } : {}), env: env.variables });
      context.cleanups.push(() => engine.close());
      client = engine.client;
      email = engine.email;
    } else {
      ({ client, email } = await connect(context, options.url ?? env.url ?? DEFAULT_URL));
      if (options.login && prompt === undefined && !options.resume && !options.list) return finish(context, 0);
    }

    if (options.registerDevice) return finish(context, await registerDevice(context, client));
    if (options.list) {
      await listConversations(context, client);
      return finish(context, 0);
    }
    // --context: a name the engine does not know is refused before anything is asked (exit 2, listing the known ones)
    if (options.context) checkContext(await knownClusters(client), options.context);
    let conversationId = options.resume;
    if (conversationId) {
      const conversation = await client.getConversation(conversationId);
      if (style === 'tty' && prompt === undefined) showHistory(context, conversation);
    }

    if (prompt === undefined) {
      if (!io.stdin.isTTY) throw new ChatError('INVALID_OPTIONS', 'an interactive session needs a terminal; pass -p "question" instead');
      return interactive(context, client, email, conversationId);
    }
    const { outcome } = await converse(context, client, prompt, conversationId, undefined, conversationId ? undefined : options.context);
    reportOutcome(context, outcome);
    if (outcome.conversationId && style === 'tty' && !options.quiet) renderer.info(palette.dim(`conversation ${outcome.conversationId} (skyflo chat --resume ${outcome.conversationId})`));
    return finish(context, exitCodeOf(outcome));
  } catch (error) {
    if (context.quitting) return new Promise<never>(() => undefined);
    if (error instanceof ChatError && error.code === 'INVALID_OPTIONS') {
      io.stderr.write(`${wrapLines(`skyflo chat: ${error.message}`, io.stderr.columns)}\n`);
      return finish(context, 2);
    }
    const message = error instanceof Error ? error.message : String(error);
    // at a terminal, wrapped at spaces (a path or URL in it stays whole); piped, one line as before
    io.stderr.write(`${wrapLines(`skyflo chat: ${message}`, io.stderr.columns)}\n`);
    return finish(context, 1);
  }
}
