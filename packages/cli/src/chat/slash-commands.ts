/**
 * The interactive session's slash commands (/new, /list, /resume, /id, /tools, /model, /help, /quit) and the history
 * shown when a conversation is resumed. Kept apart from the command's wiring (chat-command.ts).
 */
import { isInternalTool, llmSettingsSchema, toolRisk, toolRiskLabels, toolStatusLabels, type LlmSettings, type ToolStatus } from '@skyflo/protocol';
import { API_PREFIX, type ApiClient, type ConversationDetail } from './api-client.ts';
import type { Context } from './chat-context.ts';
import { summarizeArgs } from './renderer.ts';
import { lastUndoable, undoneCalls, verificationBlock, verificationLine } from './verification-lines.ts';
import { checkContext, formatClusterList, knownClusters } from './clusters.ts';
import { layoutWidth, wrapLines } from './terminal-rows.ts';
import { showPendingQueue } from './pending-queue.ts';

const historySymbols: Record<ToolStatus, string> = { completed: '✓', error: '✗', denied: '✗', awaiting_approval: '⧗', pending: '·', approved: '·', executing: '⏵' };

/** A call of a resumed conversation: ✓ only for one that completed, its state in the words the web UI's card uses. */
export function historyToolLine(palette: Context['palette'], tool: { tool: string; args: Record<string, unknown>; status: string }): string {
  const status = tool.status as ToolStatus;
  const symbol = historySymbols[status] ?? '·';
  const color = status === 'completed' ? palette.green : status === 'error' || status === 'denied' ? palette.red : status === 'awaiting_approval' ? palette.yellow : palette.dim;
  return `  ${color(symbol)} ${palette.dim(`${tool.tool} ${summarizeArgs(tool.args)}`)} ${color(`[${toolStatusLabels[status] ?? tool.status}]`)}`;
}

type StoredEntry = ConversationDetail['messages'][number];
type StoredCall = NonNullable<NonNullable<StoredEntry['segments']>[number]['toolExecution']>;

/**
 * A stored call's line, and under it what the engine's verification found, as the live stream showed it. `undone`:
 * the conversation's calls an undo was proposed for, which the history no longer offers /undo for.
 */
function showCall(context: Context, tool: StoredCall, undone: ReadonlySet<string>): void {
  const { palette } = context;
  context.renderer.info(historyToolLine(palette, tool));
  const verification = tool.verification;
  if (!verification) return;
  const facts = { ...verification, tool: tool.tool, ...(tool.undo_of ? { undo_of: tool.undo_of } : {}) };
  const width = layoutWidth(context.io.stdout.columns);
  context.renderer.info(verification.outcome === 'verifying' ? verificationLine(facts, palette, width) : verificationBlock(facts, palette, { width, undoAvailable: tool.undo_available === true && !undone.has(tool.call_id), resumed: true }));
}

/**
 * An answer in the order it was given: its text and its calls interleaved (an undo's run adds its call and its words
 * to the answer it undoes), each text rendered as the live answer was, a stopped one too (issue 37: not left as raw
 * Markdown). A record without text segments has its whole text after its calls.
 */
function showAnswer(context: Context, entry: StoredEntry, undone: ReadonlySet<string>): void {
  const segments = entry.segments ?? [];
  const inOrder = segments.some((segment) => segment.kind === 'text' && segment.text?.trim());
  for (const segment of segments) {
    if (segment.kind === 'tool' && segment.toolExecution) showCall(context, segment.toolExecution, undone);
    else if (inOrder && segment.kind === 'text' && segment.text) context.renderer.markdown(segment.text.trim());
  }
  if (!inOrder && entry.content.trim()) context.renderer.markdown(entry.content.trim());
  // as the live stream ended it: a failed answer says why (a restart's "No answer: the engine stopped…"), a stopped one so
  if (entry.error) context.renderer.info(`${context.palette.red('error:')} ${entry.error}`);
  else if (entry.stopped) context.renderer.info(context.palette.yellow('■ stopped'));
}

/** Every call of a stored conversation, in order. */
function storedCalls(conversation: ConversationDetail): StoredCall[] {
  return conversation.messages.flatMap((entry) => entry.segments ?? []).flatMap((segment) => (segment.kind === 'tool' && segment.toolExecution ? [segment.toolExecution] : []));
}

export function showHistory(context: Context, conversation: ConversationDetail): void {
  const { palette } = context;
  const calls = storedCalls(conversation);
  const undone = undoneCalls(calls);
  context.renderer.info(`${palette.bold(conversation.title || 'Untitled conversation')} ${palette.dim(`(${conversation.id}, updated ${conversation.updated_at})`)}`);
  for (const entry of conversation.messages.slice(-6)) {
    if (entry.type === 'user') context.renderer.info(`${palette.cyan('you ›')} ${entry.content}`);
    else if (entry.type === 'alert') {
      // an alert investigation's alert (issue 37 item 9), not the instruction the model was given
      const alert = (entry as { alert?: { title?: unknown; status?: unknown } }).alert;
      context.renderer.info(`${palette.red('alert ›')} ${palette.bold(String(alert?.title ?? 'Alert'))} ${palette.dim(`[${String(alert?.status ?? 'firing')}]`)}${entry.content ? ` ${entry.content}` : ''}`);
    }
    else if (entry.type === 'assistant') showAnswer(context, entry, undone);
  }
  for (const tool of calls.filter((call) => call.status === 'awaiting_approval')) {
    context.renderer.info(palette.yellow(`A change is waiting for approval: ${tool.tool} ${summarizeArgs(tool.args)} — decide it in the web UI (this client only decides calls it has streamed).`));
  }
}

export async function listConversations(context: Context, client: ApiClient): Promise<void> {
  const page = await client.listConversations({ limit: 20 });
  if (context.style === 'json') {
    context.io.stdout.write(`${JSON.stringify(page)}\n`);
    return;
  }
  if (page.data.length === 0) {
    context.io.stdout.write('No conversations yet.\n');
    return;
  }
  for (const item of page.data) context.io.stdout.write(`${wrapLines(`${item.id}  ${context.palette.dim(item.updated_at.slice(0, 16).replace('T', ' '))}  ${item.title || 'Untitled'}`, context.io.stdout.columns)}\n`);
  if (page.pagination.has_more) context.io.stdout.write(context.palette.dim('(newest 20 shown)\n'));
}

/**
 * The tools the agent can call (GET /agent/tools), read-only ones first, each change marked with the risk word the
 * web UI's cards use (shared through the protocol). The engine's internal tools (preview, baseline, verification)
 * are left out: the agent never calls them (issue 37).
 */
export async function listTools(context: Context, client: ApiClient): Promise<void> {
  const { palette, renderer } = context;
  const tools = (await client.tools()).filter((tool) => !isInternalTool(tool.name));
  const reads = tools.filter((tool) => toolRisk(tool.annotations) === 'read-only');
  const writes = tools.filter((tool) => toolRisk(tool.annotations) !== 'read-only');
  const width = Math.max(0, ...tools.map((tool) => tool.name.length));
  const line = (tool: (typeof tools)[number]) => {
    const risk = toolRisk(tool.annotations);
    return `  ${palette.bold(tool.name.padEnd(width))}  ${tool.title}${risk === 'destructive' ? palette.red(` (${toolRiskLabels.destructive})`) : ''}`;
  };
  renderer.info(
    [
      `${tools.length} tools. ${palette.dim(`${toolRiskLabels['read-only']}: run at once.`)}`,
      ...reads.map(line),
      palette.dim('Changes: each shows its dry-run diff and waits for an approval (yours, or an approver\'s under the approver policy).'),
      ...writes.map(line),
    ].join('\n'),
  );
}

/** GET/PUT /settings/llm with this client's session (the typed client has no settings calls). */
async function llmSettingsRequest(client: ApiClient, body?: { provider: string; model: string }): Promise<LlmSettings> {
  const token = client.session()?.accessToken;
  const response = await fetch(`${client.baseUrl}${API_PREFIX}/settings/llm`, {
    method: body ? 'PUT' : 'GET',
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const detail = (json as { detail?: string } | undefined)?.detail ?? `HTTP ${response.status}`;
    throw new Error(response.status === 403 ? `${detail}: ask an admin, or see Settings → Model in the Command Center (${client.baseUrl}).` : detail);
  }
  return llmSettingsSchema.parse(json);
}

/** `/model`: the model the engine uses; `/model <provider>/<model>`: an admin switches it (the saved key is kept). */
export async function modelCommand(context: Context, client: ApiClient, argument: string): Promise<void> {
  const { palette, renderer } = context;
  const describe = (settings: LlmSettings) =>
    `${settings.provider && settings.model ? palette.bold(`${settings.provider}/${settings.model}`) : palette.yellow('no model configured')}` +
    palette.dim(` (from ${settings.source === 'environment' ? 'the environment (LLM_MODEL)' : settings.source === 'settings' ? 'Settings → Model' : 'nowhere yet'})`) +
    (settings.problem ? `\n${palette.yellow(settings.problem)}` : '');
  if (!argument) {
    const settings = await llmSettingsRequest(client);
    renderer.info(`${describe(settings)}\n${palette.dim('An admin changes it with /model <provider>/<model> (e.g. /model openai/gpt-4o) or in Settings → Model.')}`);
    return;
  }
  const slash = argument.indexOf('/');
  if (slash <= 0 || slash === argument.length - 1) throw new Error('usage: /model <provider>/<model>, e.g. /model anthropic/claude-sonnet-4-5');
  const saved = await llmSettingsRequest(client, { provider: argument.slice(0, slash), model: argument.slice(slash + 1) });
  renderer.info(`Model set: ${describe(saved)}`);
}

/**
 * `/undo` without an argument: the last executed change of the conversation whose before-state the engine recorded
 * and that no undo was proposed for yet (read from the stored timeline, so it works after /resume too).
 */
async function defaultUndo(context: Context, client: ApiClient, conversationId: string): Promise<string | undefined> {
  const conversation = await client.getConversation(conversationId);
  const call = lastUndoable(storedCalls(conversation));
  if (!call) context.renderer.error('nothing to undo: no executed change in this conversation has a recorded before-state (or each one already has an undo)');
  return call?.call_id;
}

/**
 * Runs `text` when it is a slash command. `quit`: leave; `conversation`: the conversation to continue from now on
 * (undefined after /new); `undo`: run the undo of that call as the next turn; `handled: false`: not a command, a
 * question for the agent.
 */
export async function runSlashCommand(
  context: Context,
  client: ApiClient,
  text: string,
  current: string | undefined,
  /** the cluster new conversations start on (--context, /context <name>) */
  pinned?: string,
): Promise<{ handled: false } | { handled: true; quit?: boolean; conversation: string | undefined; undo?: string; pin?: string }> {
  const { renderer, palette } = context;
  if (!text.startsWith('/')) return { handled: false };
  if (text === '/quit' || text === '/exit') return { handled: true, quit: true, conversation: current };
  if (text === '/help') {
    renderer.info(
      '/new  start a new conversation\n/list  list your conversations\n/resume <id>  continue one\n/id  show this conversation\'s id\n' +
        '/undo [call]  propose the inverse of the last change made here (or of that call), to approve like any change\n' +
        '/context [name]  list the clusters and show the current one; with a name, start a new conversation on it\n' +
        '/pending [more]  the calls waiting for a decision that you may see, oldest first (more: the next page)\n' +
        '/tools  list the tools the agent can use\n/model  show the model (admins: /model <provider>/<model> sets it)\n/quit  leave (or Ctrl-D)',
    );
  } else if (text === '/new') {
    renderer.info(palette.dim('New conversation.'));
    return { handled: true, conversation: undefined };
  } else if (text === '/context' || text.startsWith('/context ')) {
    const name = text.slice('/context'.length).trim();
    try {
      const clusters = await knownClusters(client);
      if (!name) renderer.info(formatClusterList(clusters, pinned, palette));
      else {
        const cluster = checkContext(clusters, name);
        renderer.info(`New conversation on ${palette.bold(cluster.name)}${cluster.label ? ` [${cluster.label}]` : ''}${cluster.reachable ? '' : palette.red(` (unreachable: ${cluster.error ?? 'no reason given'})`)}.`);
        return { handled: true, conversation: undefined, pin: cluster.name };
      }
    } catch (error) {
      renderer.error((error as Error).message);
    }
  } else if (text === '/id') {
    renderer.info(current ?? palette.dim('(no conversation yet: it starts with your first question)'));
  } else if (text === '/tools') {
    await listTools(context, client).catch((error: unknown) => renderer.error((error as Error).message));
  } else if (text === '/model' || text.startsWith('/model ')) {
    await modelCommand(context, client, text.slice('/model'.length).trim()).catch((error: unknown) => renderer.error((error as Error).message));
  } else if (text === '/undo' || text.startsWith('/undo ')) {
    const argument = text.slice('/undo'.length).trim();
    if (!current) renderer.error('/undo undoes a change made in this conversation, and there is none yet (/resume <id> to open one)');
    else {
      try {
        const callId = argument || (await defaultUndo(context, client, current));
        if (callId) {
          renderer.info(palette.dim(`Asking the engine for the inverse of ${callId}…`));
          return { handled: true, conversation: current, undo: callId };
        }
      } catch (error) {
        renderer.error((error as Error).message);
      }
    }
  } else if (text === '/pending' || text === '/pending more') {
    await showPendingQueue(context, client, text === '/pending more').catch((error: unknown) => renderer.error((error as Error).message));
  } else if (text === '/list') {
    await listConversations(context, client).catch((error: unknown) => renderer.error((error as Error).message));
  } else if (text.startsWith('/resume')) {
    const id = text.slice('/resume'.length).trim();
    if (!id) renderer.error('usage: /resume <conversation id> (/list shows them)');
    else {
      try {
        showHistory(context, await client.getConversation(id));
        return { handled: true, conversation: id };
      } catch (error) {
        renderer.error((error as Error).message);
      }
    }
  } else renderer.error(`unknown command ${text.split(' ')[0]} (/help lists them)`);
  return { handled: true, conversation: current };
}
