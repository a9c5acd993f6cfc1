/**
 * How `skyflo chat` decides a call that waits for approval: a person at the terminal reads the card and presses a
 * key; --approve-all approves (evaluation only, each approval printed and recorded as automatic); without a terminal
 * nobody can be asked, so the call stays pending. At the terminal, text typed ahead is never a decision: keys typed
 * before the card could be read are discarded and reported (terminal-input.ts TypeaheadGuard).
 */
import { approvalNeedsPreview, hasFailedPreview } from '@skyflo/protocol';
import { approvalKeysLine, diffPage, firstDiffPage, formatArgs, type AwaitingApproval } from './approval-card.ts';
import type { ApiClient } from './api-client.ts';
import type { Context } from './chat-context.ts';
import { cannotDecideReason, mayDenyOnly, passkeyNeed } from './decision-right.ts';
import { openDeviceKey } from './device-key.ts';
import type { DeviceSignature } from '@skyflo/protocol';
import type { Decision, DecisionPosition } from './run-turn.ts';
import { summarizeArgs } from './renderer.ts';

/** How long a decision key must stand alone (no other key just before or after it) to count as one. */
export const DECISION_QUIET_MS = 600;

/**
 * Issue 73 item 6: what the terminal says of a call whose dry-run preview failed on a cluster that enforces approvals
 * (its PREVIEW_REQUIRED risk, on the card, says why): it can never run there, so nobody approves it, not even without a
 * preview; it is denied, or its cause fixed and the change asked for again.
 */
export const previewRequiredWords = 'nobody can approve this call on this cluster: its dry-run preview failed and the cluster enforces approvals (the PREVIEW_REQUIRED risk above says why). Deny it, or fix the cause and ask for the change again.';

function describeCall(approval: AwaitingApproval): string {
  return `${approval.tool} ${JSON.stringify(approval.args)}`;
}

/**
 * `sign`: the device key's signature of this call, for a call that needs the approver's passkey (issue 35).
 * `cannotApprove`: why nobody can approve the call as it is (issue 73 item 6): it is shown, and only denied here.
 */
async function askApproval(context: Context, approval: AwaitingApproval, position: DecisionPosition, sign?: () => DeviceSignature, cannotApprove?: string): Promise<Decision> {
  const { input, renderer, palette, io } = context;
  if (position.index === 0 && position.total > 1) {
    // every call of the turn was previewed before any decision; say so, and which ones, before the first card
    renderer.info(palette.yellow(`This turn proposes ${position.total} changes; each card is shown and decided in order:`));
    position.calls.forEach((call, index) => renderer.info(`  ${index + 1}. ${call.tool} ${summarizeArgs(call.args)}`));
  }
  renderer.approvalCard(approval, { keys: false });
  if (cannotApprove !== undefined) renderer.info(`${palette.red('╰─ ✗ cannot be approved:')} ${cannotApprove}`);
  // a long diff is cut so the card's header and risks stay on screen; [m] pages through it, a screenful at a time
  // (less the keys under the page and the rows its long lines wrap onto)
  const cardDiffLines = renderer.diffLinesShown(approval);
  let nextDiffLine: number | undefined = firstDiffPage(approval, cardDiffLines);
  const pageSize = Math.max(cardDiffLines, (io.stdout.rows ?? 24) - 8);
  // `a!` (approve with automatic revert) exists only on a card that showed the inverse it would run (issue 21)
  const autoRevert = approval.undo !== undefined && cannotApprove === undefined;
  const typeahead = {
    quietMs: DECISION_QUIET_MS,
    onReady: () => io.stdout.write(`${approvalKeysLine(palette, { nextDiffLine, autoRevert, columns: io.stdout.columns, lead: position.total > 1 ? palette.dim(`(${position.index + 1}/${position.total}) `) : '', ...(cannotApprove !== undefined ? { denyOnly: true } : {}) })}\n`),
    onIgnored: (count: number) =>
      io.stdout.write(`${palette.yellow(`ignored ${count} key${count === 1 ? '' : 's'} typed before the card appeared`)}${palette.dim(' (nothing was decided: read the card, then press a or d)')}\n`),
  };
  for (;;) {
    const key = await input.readKey(['a', 'y', 'd', 'n', 'f', 'm', ...(autoRevert ? ['a!'] : [])], { typeahead });
    if (key.kind === 'interrupt' || key.kind === 'eof') {
      return { leave: true, why: `not decided (${key.kind === 'interrupt' ? 'Ctrl-C' : 'end of input'}); the call is still pending: decide it in the UI or with skyflo chat --resume ${approval.context.conversation_id}` };
    }
    if (key.name === 'm') {
      if (nextDiffLine === undefined) continue;
      const page = diffPage(approval, { palette, from: nextDiffLine, count: pageSize, columns: io.stdout.columns });
      nextDiffLine = page.next;
      // the keys follow from the prompt itself (typeahead.onReady, with [m] gone at the diff's end), once
      io.stdout.write(`${page.text}\n`);
      continue;
    }
    if (key.name === 'f') {
      io.stdout.write(`${palette.dim('full arguments:')}\n${formatArgs(approval.args, { full: true, palette }).text}\n`);
      continue;
    }
    const approving = key.name === 'a!' || key.name === 'a' || key.name === 'y';
    // never "approve it without a preview?" for a call nobody can approve: say why again, and what is left
    if (approving && cannotApprove !== undefined) {
      io.stdout.write(`${palette.yellow('not approved:')} ${cannotApprove} ${palette.dim('(d denies it; Ctrl-C leaves it pending)')}\n`);
      continue;
    }
    // Issue 31 item 10: nobody has seen what a call whose dry run failed would change; approving it is said in words.
    let withoutPreview = false;
    if (approving && hasFailedPreview(approval)) {
      const answer = await input.readLine(`${palette.yellow('The dry-run preview of this call failed, so nobody has seen what it would change.')} Approve it without a preview (recorded in the audit trail)? Type yes: `);
      if (answer.kind !== 'line' || answer.text.trim().toLowerCase() !== 'yes') {
        io.stdout.write(`${palette.dim('not approved; decide again')}\n`);
        continue;
      }
      withoutPreview = true;
    }
    if (key.name === 'a!') {
      io.stdout.write(palette.green('approving with automatic revert…\n'));
      return { approve: true, autoRevert: true, ...(withoutPreview ? { withoutPreview } : {}), ...(sign ? { deviceSignature: sign() } : {}) };
    }
    if (approving) {
      io.stdout.write(palette.green(sign ? 'approving (signed with this terminal\'s device key)…\n' : 'approving…\n'));
      return { approve: true, ...(withoutPreview ? { withoutPreview } : {}), ...(sign ? { deviceSignature: sign() } : {}) };
    }
    const reason = await input.readLine('Why deny it? (the agent is told; Enter for no reason): ');
    if (reason.kind === 'interrupt') continue;
    const text = reason.kind === 'line' ? reason.text.trim() : '';
    return { approve: false, ...(text ? { reason: text } : {}) };
  }
}

/**
 * A call this user may not decide (approver policy, four-eyes, out of their scope) is shown with the engine's reason
 * and left pending, as the web UI's card does: no keys the engine would refuse with a 403 (issue 37 item 6).
 */
async function waitingForApprover(context: Context, client: ApiClient, approval: AwaitingApproval, position: DecisionPosition): Promise<Decision | undefined> {
  // the engine has the last word when a decision is sent; a list that cannot be read leaves the keys as they were
  // the call's own conversation: in a long queue the call may be on any page of the whole one (issue 79)
  const pending = await client.pendingApprovals({ conversation_id: approval.context.conversation_id, limit: 200 }).catch(() => undefined);
  // the turn's earlier calls are decided here first and sent in the model's order (run-turn.ts)
  const reason = cannotDecideReason(pending, approval.call_id, position.calls.slice(0, position.index).map((call) => call.call_id));
  const { renderer, palette } = context;
  // nobody can approve it as it is, and this user may deny it: the card says why and offers [d] only
  if (reason !== undefined && mayDenyOnly(pending, approval.call_id)) return askApproval(context, approval, position, undefined, approvalNeedsPreview(approval) ? previewRequiredWords : reason);
  const passkey = reason === undefined ? passkeyNeed(pending, approval.call_id) : undefined;
  if (passkey) return passkeyApproval(context, client, approval, position, passkey.approveAt);
  if (reason === undefined) return undefined;
  renderer.approvalCard(approval, { keys: false });
  renderer.info(`${palette.yellow('╰─ ⧗ waiting for an approver')} ${palette.dim(`(${reason})`)}`);
  return { leave: true, why: `waiting for an approver: ${approval.tool} stays pending until someone allowed to decide it does (conversation ${approval.context.conversation_id})` };
}

/**
 * Issue 35: a call that needs the approver's passkey is approved at the terminal only with this terminal's confirmed
 * device key (its signature of the call's facts goes with the decision); without one the card says where to approve
 * it in the browser and nothing is sent. A keypress alone never approves such a call.
 */
async function passkeyApproval(context: Context, client: ApiClient, approval: AwaitingApproval, position: DecisionPosition, approveAt: string | undefined): Promise<Decision> {
  const { renderer, palette } = context;
  const where = approveAt ?? `the Command Center's approval page (conversation ${approval.context.conversation_id})`;
  let keyId: string | undefined;
  let problem: string | undefined;
  let key: ReturnType<typeof openDeviceKey> | undefined;
  try {
    key = openDeviceKey(context.env.configDir);
    keyId = key.registrationAt(client.baseUrl);
    if (keyId && (await client.deviceKey(keyId).catch(() => undefined))?.status !== 'active') {
      problem = 'this terminal\'s device key is not confirmed (or was removed)';
      keyId = undefined;
    }
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (!key || !keyId) {
    renderer.approvalCard(approval, { keys: false });
    renderer.info(`${palette.yellow('╰─ 🔑 approving this call needs your passkey')} ${palette.dim(`(${problem ?? 'this terminal has no confirmed device key'})`)}`);
    renderer.info(`   approve it in the browser: ${where}`);
    renderer.info(palette.dim('   or register this terminal once with `skyflo chat --register-device` (confirmed with your passkey)'));
    return { leave: true, why: `${approval.tool} needs your passkey: approve it in the browser (${where}); nothing was sent` };
  }
  const signer = key;
  const registered = keyId;
  return askApproval(context, approval, position, () => signer.signApproval(approval, registered));
}

export function decider(context: Context, client?: ApiClient): (approval: AwaitingApproval, position: DecisionPosition) => Promise<Decision> {
  if (context.options.approveAll) {
    return async (approval) => {
      // Issue 73 item 6: nobody approves a call whose preview failed on a cluster that enforces approvals.
      if (approvalNeedsPreview(approval)) {
        context.io.stderr.write(`skyflo: --approve-all left ${describeCall(approval)} pending: ${previewRequiredWords}\n`);
        return { leave: true, why: `${approval.tool} cannot be approved: its dry-run preview failed on a cluster that enforces approvals` };
      }
      // --approve-all never approves blind: a call whose preview failed waits for a person.
      if (hasFailedPreview(approval)) {
        context.io.stderr.write(`skyflo: --approve-all left ${describeCall(approval)} pending: its dry-run preview failed, and only a person approves a call without a preview (in the UI, or at the terminal).\n`);
        return { leave: true, why: `the dry-run preview of ${approval.tool} failed; --approve-all does not approve a call without a preview` };
      }
      // Printed for every call, so a log of an evaluation run shows exactly what was changed without a human.
      context.io.stderr.write(`skyflo: --approve-all approved ${describeCall(approval)} (args hash ${approval.args_hash.slice(0, 16)}…)\n`);
      return { approve: true, automatic: true, reason: 'approved automatically by skyflo chat --approve-all' };
    };
  }
  // (an engine that does not say can_deny, or a list that could not be read: the card's own PREVIEW_REQUIRED risk)
  if (context.input.isTTY) return async (approval, position) => (client ? await waitingForApprover(context, client, approval, position) : undefined) ?? askApproval(context, approval, position, undefined, approvalNeedsPreview(approval) ? previewRequiredWords : undefined);
  return async (approval) => {
    const args = formatArgs(approval.args, { full: true, palette: context.palette }).text;
    context.io.stderr.write(
      `skyflo: approval needed for ${approval.tool}, but stdin is not a terminal, so nobody can be asked.\n` +
        `  args: ${args.replace(/\n/g, '\n        ')}\n` +
        (approval.diff ? `  diff:\n${approval.diff.replace(/^/gm, '    ')}\n` : '') +
        (approvalNeedsPreview(approval) ? `  It cannot be approved: ${previewRequiredWords}\n` : '') +
        `  The call stays pending: approve or deny it in the web UI (conversation ${approval.context.conversation_id}),\n` +
        `  or run again with --approve-all (throw-away clusters only).\n`,
    );
    return { leave: true, why: `approval needed for ${approval.tool}; stdin is not a terminal and --approve-all was not given` };
  };
}
