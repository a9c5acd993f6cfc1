/**
 * `/pending` in `skyflo chat` (issue 79): the calls waiting for a decision that you may see, oldest first, a page at a
 * time with the length of the whole queue; `/pending more` shows the next page. Each call says whether you may decide
 * it (the engine's `can_decide`, with its reason when not) and the conversation to `/resume` to decide it there.
 */
import type { PendingApproval } from '@skyflo/protocol';
import type { ApiClient } from './api-client.ts';
import type { Context } from './chat-context.ts';
import { summarizeArgs } from './renderer.ts';
import { wrapLines } from './terminal-rows.ts';

/** Calls per page of `/pending`. */
export const pendingPageSize = 20;

/** "3 min ago", "2 h ago", "4 d ago": how long a call has waited. */
export function waitedFor(requestedAt: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(requestedAt)) / 60_000));
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return `${Math.floor(minutes / (24 * 60))} d ago`;
}

function line(context: Context, item: PendingApproval): string {
  const { palette } = context;
  const args = summarizeArgs(item.args);
  const who = item.requested_by.email ? `, asked by ${item.requested_by.email}` : '';
  const decide = item.can_decide ? palette.green('you may decide') : palette.dim(`not yours: ${item.cannot_decide_reason ?? 'ask an approver'}`);
  return `  ${palette.yellow('⧗')} ${palette.bold(item.tool)}${args ? ` ${args}` : ''}\n    in "${item.conversation_title || 'Untitled'}" (${item.conversation_id})${who}, ${waitedFor(item.requested_at)}; ${decide}`;
}

/**
 * Shows a page of the queue: the first (`more` false) or the one after the page shown last. The cursor it goes on
 * from is the session's (`context.pendingCursor`).
 */
export async function showPendingQueue(context: Context, client: ApiClient, more: boolean): Promise<void> {
  const cursor = more ? context.pendingCursor : undefined;
  if (more && !cursor) {
    context.renderer.info(context.palette.dim('No further page: /pending shows the queue from its oldest call.'));
    return;
  }
  const page = await client.pendingApprovals({ limit: pendingPageSize, ...(cursor ? { cursor } : {}) });
  context.pendingCursor = page.next_cursor ?? undefined;
  if (context.style === 'json') {
    context.io.stdout.write(`${JSON.stringify(page)}\n`);
    return;
  }
  if (page.total === 0) {
    context.io.stdout.write('Nothing is waiting for a decision.\n');
    return;
  }
  for (const item of page.data) context.io.stdout.write(`${wrapLines(line(context, item), context.io.stdout.columns)}\n`);
  const shownBefore = more ? (context.pendingShown ?? 0) : 0;
  const shown = shownBefore + page.data.length;
  context.pendingShown = shown;
  const range = page.data.length > 0 ? `${shownBefore + 1}–${shown}` : 'none';
  const next = page.has_more ? '; /pending more for the next' : '';
  context.io.stdout.write(context.palette.dim(`${page.total.toLocaleString('en-US')} waiting for a decision, oldest first (${range} shown)${next}. /resume <conversation id> to decide one there.\n`));
}
