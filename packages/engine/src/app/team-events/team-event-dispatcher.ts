/**
 * The team-event dispatcher (formerly "the run-event notifier"), the engine's one notifier: it observes every run's
 * events (RunAgentDeps.observeEvent, beside the audit trail's run-event auditor) and turns the ones a team cares about
 * into TeamEvents: a call starts waiting for a decision (approval.requested), a call is decided (approval.decided), a
 * run ends (run.completed), an executed change's verification reaches its verdict (tool.verification; the `verifying`
 * one is not news). Each goes to the per-user notification stream of whoever may see it (not verifications: the
 * stream's kinds are about decisions), and to every sink (webhooks, Slack).
 * Synchronous and never throws on the run's hot path; the work happens on a queue, in event order.
 *
 * Three things are called "notifications" in Skyflo; this folder names them apart:
 * - user notifications (user-notification-hub.ts): the per-user in-app stream, GET /notifications/stream, which the
 *   Command Center turns into its pending list and, when opted in, the browser's desktop notifications;
 * - team event sinks (team-event.ts' TeamEventSink): the outgoing channels a team configures, webhooks and Slack
 *   (the "notification integrations" of the Integrations page);
 * - this dispatcher, which turns run events into team events and hands them to both.
 */
import type { AgentEvent } from '@skyflo/protocol';
import type { MemberScope } from '@skyflo/protocol';
import { redactText } from '@skyflo/safety';
import type { ApprovalPolicyName } from '../../domain/tool-calls/decide/decision-authority.ts';
import { decide } from '../../domain/tool-calls/decide/decide.ts';
import { conversationAccess } from '../../domain/tool-calls/decide/conversation-access.ts';
import type { DecisionFactsGatherer } from '../../domain/tool-calls/decide/gather-facts.ts';
import type { ApprovalStore, ConversationStore, UserStore } from '../../platform/ports/index.ts';
import type { UserNotificationHub } from './user-notification-hub.ts';
import { redactTeamEventText, type TeamEventSink, type TeamEvent } from './team-event.ts';

export interface TeamEventDispatcherDeps {
  conversations: Pick<ConversationStore, 'get' | 'access'>;
  approvals: Pick<ApprovalStore, 'get'>;
  users: Pick<UserStore, 'list'>;
  hub: UserNotificationHub;
  sinks: () => TeamEventSink[];
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
  /**
   * what a decision reads about a call, gathered as the pending list gathers it (tool-calls/decide/gather-facts.ts),
   * once the composition root has it; until then the recorded call and each person's scope are asked alone
   */
  decisionFacts?: () => Pick<DecisionFactsGatherer, 'forCall'> | undefined;
  conversationUrl(conversationId: string): string;
  logger?: { error(object: unknown, message?: string): void };
}

export interface TeamEventDispatcher {
  observe(event: AgentEvent): void;
  /** Sends a TeamEvent built elsewhere (an alert's investigation) to the sinks, or only to those named in `only`. */
  announce(event: TeamEvent, only?: readonly string[]): void;
  /** resolves once everything observed so far is handed to the stream and the sinks */
  flush(): Promise<void>;
}

/** The gate re-sends tool.awaiting_approval for calls still waiting after each decision: notify once per call. */
const MAX_REMEMBERED_CALLS = 10_000;

export function createTeamEventDispatcher(deps: TeamEventDispatcherDeps): TeamEventDispatcher {
  let queue: Promise<void> = Promise.resolve();
  const announced = new Set<string>();
  const remember = (key: string) => {
    if (announced.size >= MAX_REMEMBERED_CALLS) announced.delete(announced.values().next().value!);
    announced.add(key);
  };

  /** Who hears about a call: its conversation's owner, and (APPROVAL_POLICY=approver) every approver and admin. */
  async function audience(conversation: { userId: string; cluster?: string | undefined }): Promise<Array<{ id: string; role: 'admin' | 'approver' | 'member'; scope?: MemberScope | undefined }>> {
    const users = await deps.users.list();
    // whoever may act on the conversation's calls (conversation-access.ts, the rule every surface uses: scope included)
    return users.filter((user) => conversationAccess({ policy: deps.policy.policy, actor: user, conversationOwnerId: conversation.userId, reach: { actorScope: user.scope, conversationCluster: conversation.cluster } }, 'act') !== undefined);
  }

  async function toSinks(unredacted: TeamEvent, only?: readonly string[]): Promise<void> {
    const event = redactTeamEventText(unredacted);
    await Promise.all(
      deps.sinks().filter((sink) => !only || only.includes(sink.name)).map((sink) => sink.deliver(event).catch((error: unknown) => deps.logger?.error({ err: error, sink: sink.name, type: event.type }, 'a notifier failed'))),
    );
  }

  /** the sinks that keep a card per call (a webhook's approval.decided stays approved or denied) */
  const chatCardSinks = ['slack', 'teams'];

  async function handle(event: AgentEvent): Promise<void> {
    // a call closed while it awaited a decision (its run stopped, its MCP client withdrew it) ends its cards too
    const closedUndecided = event.type === 'tool.error' && event.code === 'CANCELLED';
    if (event.type !== 'tool.awaiting_approval' && event.type !== 'tool.approved' && event.type !== 'tool.denied' && event.type !== 'completed' && event.type !== 'tool.verification' && !closedUndecided) return;
    if (event.type === 'tool.verification' && event.outcome === 'verifying') return;
    const conversationId = event.conversation_id;
    if (!conversationId) return;
    // Its owner, cluster and title are all an event needs: read without the timeline where the store can (on every
    // run's `completed`, the whole conversation row was read and its timeline parsed for these three fields).
    const conversation = deps.conversations.access ? await deps.conversations.access(conversationId) : await deps.conversations.get(conversationId);
    if (!conversation) return;
    // titles are redacted when made (generate-title.ts); again here, as every notification shows one
    const title = conversation.title ? redactText(conversation.title) : undefined;
    const base = { at: event.timestamp ?? Date.now(), conversation_id: conversationId, ...(title ? { conversation_title: title } : {}), conversation_url: deps.conversationUrl(conversationId), ...(event.run_id ? { run_id: event.run_id } : {}) };

    if (event.type === 'completed') {
      const teamEvent: TeamEvent = { ...base, type: 'run.completed', status: event.status, ...(event.awaiting_approval ? { awaiting_approval: true } : {}) };
      await deps.hub.publish(conversation.userId, { kind: 'run.completed', conversation_id: conversationId, ...(title ? { conversation_title: title } : {}), summary: event.awaiting_approval ? 'The run is waiting for a decision.' : `The run ended (${event.status}).`, status: event.status });
      await toSinks(teamEvent);
      return;
    }

    if (event.type === 'tool.verification') {
      // once per call and verdict (a verification a restarted engine finished is announced by that engine)
      const key = `${conversationId}:${event.call_id}:verification`;
      if (announced.has(key) || event.outcome === 'verifying') return;
      remember(key);
      await toSinks({
        ...base,
        type: 'tool.verification',
        call_id: event.call_id,
        tool: event.tool,
        outcome: event.outcome,
        summary: event.summary,
        evidence: event.evidence ?? [],
        ...(event.controller ? { controller: event.controller } : {}),
        ...(event.undo_of ? { undo_of: event.undo_of } : {}),
        ...(event.auto_revert_call_id ? { auto_revert_call_id: event.auto_revert_call_id } : {}),
      });
      return;
    }

    const record = await deps.approvals.get(conversationId, event.call_id);
    const requestedBy = record?.requestedBy ?? conversation.userId;
    if (event.type === 'tool.awaiting_approval') {
      const key = `${conversationId}:${event.call_id}:requested`;
      if (announced.has(key)) return;
      remember(key);
      const teamEvent: TeamEvent = {
        ...base,
        type: 'approval.requested',
        call_id: event.call_id,
        tool: event.tool,
        args: event.args,
        args_hash: event.args_hash,
        ...(event.diff_hash ? { diff_hash: event.diff_hash } : {}),
        ...(event.diff !== undefined ? { diff: event.diff } : {}),
        risks: event.risks ?? [],
        destructive: event.destructive ?? false,
        ...(event.policy_reason ? { policy_reason: event.policy_reason } : {}),
        requested_by: { id: requestedBy, ...(event.requested_by?.email ? { email: event.requested_by.email } : {}) },
      };
      const gatherer = deps.decisionFacts?.();
      for (const user of await audience(conversation)) {
        // the question the Pending approvals list asks, with the same facts and function (tool-calls/decide): scope,
        // cluster policy, the turn's order and passkeys included, so a notification never says "you can decide" about
        // a call the decision would refuse
        const actor = { id: user.id, role: user.role };
        const refusal = decide(
          gatherer && record
            ? await gatherer.forCall({ actor, conversationId, callId: event.call_id })
            : {
                conversationId,
                callId: event.call_id,
                environment: deps.policy,
                actor,
                conversation: { ownerId: conversation.userId, cluster: conversation.cluster },
                call: record ?? { callId: event.call_id, tool: event.tool, status: 'awaiting', requestedBy, argsHash: event.args_hash, destructive: event.destructive ?? false, risks: event.risks ?? [] },
                deciderScope: user.scope,
              },
        );
        await deps.hub.publish(user.id, {
          kind: 'approval.requested',
          conversation_id: conversationId,
          ...(title ? { conversation_title: title } : {}),
          call_id: event.call_id,
          tool: event.tool,
          summary: event.policy_reason ?? `${event.tool} waits for approval`,
          can_decide: refusal === undefined,
          ...(refusal ? { cannot_decide_reason: refusal.reason } : {}),
        });
      }
      await toSinks(teamEvent);
      return;
    }

    const key = `${conversationId}:${event.call_id}:decided`;
    if (announced.has(key)) return;
    remember(key);
    if (event.type === 'tool.error') {
      // only the team's channels: their card still asks for a decision nobody can make now (the Command Center's
      // card already shows the error). A call cancelled after it was decided finds its card decided, and stays so.
      await toSinks({ ...base, type: 'approval.decided', call_id: event.call_id, tool: event.tool, outcome: 'cancelled', reason: event.error }, chatCardSinks);
      return;
    }
    const outcome = event.type === 'tool.approved' ? 'approved' : 'denied';
    const decidedBy = event.decided_by ? { id: event.decided_by, ...(event.decided_by_email ? { email: event.decided_by_email } : {}) } : undefined;
    const teamEvent: TeamEvent = {
      ...base,
      type: 'approval.decided',
      call_id: event.call_id,
      tool: event.tool,
      outcome,
      ...(record ? { args: record.args, args_hash: record.argsHash, risks: record.risks, destructive: record.destructive, ...(record.diff !== undefined ? { diff: record.diff } : {}) } : {}),
      ...(decidedBy ? { decided_by: decidedBy } : {}),
      ...(event.reason ? { reason: event.reason } : {}),
    };
    for (const user of await audience(conversation)) {
      await deps.hub.publish(user.id, {
        kind: 'approval.decided',
        conversation_id: conversationId,
        ...(title ? { conversation_title: title } : {}),
        call_id: event.call_id,
        tool: event.tool,
        summary: `${event.tool} was ${outcome}${decidedBy?.email ? ` by ${decidedBy.email}` : ''}.`,
        outcome,
        ...(decidedBy?.email ? { decided_by_email: decidedBy.email } : {}),
      });
    }
    await toSinks(teamEvent);
    // Issue 76 item 6: a break-glass is announced to the whole team, as loudly as the freeze it overrode.
    if (outcome === 'approved' && record?.breakGlass) {
      const { freeze, reason } = record.breakGlass;
      const summary = `${decidedBy?.email ?? 'An admin'} broke the change freeze "${freeze}" to approve ${event.tool}: ${reason}`;
      for (const user of await audience(conversation)) {
        await deps.hub.publish(user.id, { kind: 'freeze.break_glass', conversation_id: conversationId, ...(title ? { conversation_title: title } : {}), call_id: event.call_id, tool: event.tool, summary, ...(decidedBy?.email ? { decided_by_email: decidedBy.email } : {}) });
      }
      await toSinks({ ...teamEvent, type: 'freeze.break_glass', freeze, reason, summary });
    }
  }

  const enqueue = (work: () => Promise<void>, what: string) => {
    queue = queue.then(work).catch((error: unknown) => deps.logger?.error({ err: error }, `could not notify ${what}`));
  };

  return {
    observe(event) {
      enqueue(() => handle(event), event.type);
    },
    announce(event, only) {
      enqueue(() => toSinks(event, only), event.type);
    },
    flush: () => queue,
  };
}
