/**
 * The agent's use cases behind the HTTP routes: start a chat run, decide an approval and resume, stop a run,
 * list tools. Checks ownership and state, then starts the run in the background and returns its id at once;
 * the route streams the run's events from the bus. The run does not depend on the stream staying open.
 */
import { gateLogLineOfRefusal } from '../../domain/tool-calls/gate-log-lines.ts';
import { randomUUID } from 'node:crypto';
import { hasFailedPreview, type AlertCard, type ApiTokenScope } from '@skyflo/protocol';
import type { ApprovalRecord, AuditLog, AuthenticatedUser, Conversation, PlatformStorage } from '../../platform/ports/index.ts';
import type { AgentStorage } from '../graph/checkpoints.ts';
import { appendAlertEntry, appendUserEntry } from '../../domain/timeline/apply-event.ts';
import { symptomQueryIn } from '../../domain/tool-calls/verify/symptom-check.ts';
import type { ApprovalPolicyName } from '../../domain/tool-calls/decide/decision-authority.ts';
import { decide, requestShapeRule, type DecisionRefusal } from '../../domain/tool-calls/decide/decide.ts';
import { decisionAuditRecord } from '../../domain/tool-calls/decide/decision-facts.ts';
import { createDecisionFactsGatherer } from '../../domain/tool-calls/decide/gather-facts.ts';
import { recordCoApproval } from '../../domain/tool-calls/decide/co-approval.ts';
import { conversationAccess, type ConversationAction } from '../../domain/tool-calls/decide/conversation-access.ts';
import { BusPublishError } from '../../platform/ports/bus-publish-error.ts';
import { reconcileOrphanedApprovals, settleCardsOfDeadRunsIn } from '../../domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { closeUnresumableCalls, unresumableDecisionText } from '../../domain/tool-calls/execute/close-unresumable.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import { createConversationRuns, tooManyRuns } from './conversation-runs.ts';
import { buildAgentGraph } from '../graph/build-graph.ts';
import { createResumeCheckpoints, pausedCallIds } from '../graph/resume-checkpoint.ts';
import { runAgent, type RunAgentDeps, type RunResult } from './run-agent.ts';
import { createRunEventAuditor } from '../../domain/audit/run-event-auditor.ts';
import { createSecretScrubber } from '../graph/scrub-secrets.ts';
import { createUndoProposer } from '../../domain/tool-calls/undo/propose-undo.ts';
import { createExternalCalls, type ExternalCallInput } from '../../domain/tool-calls/propose/propose-external-call.ts';
import { applyEventToTimeline } from '../../domain/timeline/apply-event.ts';
import { approvalPageUrl } from '../../domain/passkeys/passkey-approvals.ts';
import type { ExternalCallState } from '@skyflo/protocol';
import { resumeVerifications } from '../../domain/tool-calls/verify/resume-verifications.ts';
import type { MemberScope } from '@skyflo/protocol';
import { createConversationClusters } from '../../domain/clusters/conversation-cluster.ts';
import type { ApprovalWebauthn, DeviceSignature } from '@skyflo/protocol';
import type { StoredDeviceSignature } from '../../domain/passkeys/device-keys.ts';
import type { PasskeyApprovals } from '../../domain/passkeys/passkey-approvals.ts';
import type { StoredAssertion } from '../../domain/passkeys/passkey-service.ts';
import { PasskeyError } from '../../domain/passkeys/passkey-error.ts';

export interface StartedRun {
  runId: string;
  conversationId: string;
  /** starts the run; call after subscribing to the run's events */
  start(): Promise<RunResult>;
}

export interface AgentService {
  /** `context`: the cluster a new conversation is pinned to (default: the current context) */
  /** `alert`: an alert investigation's run (the alert's receiver), whose calls the alert asks for (issue 37 item 9) */
  /** `alertCard`: the alert the timeline shows instead of the message (which the model still receives) */
  /** `schedule`: a scheduled check's run (issue 81): attributed "schedule: <name>" in the audit trail; read-only ones propose nothing */
  prepareChat(input: { user: AuthenticatedUser; conversationId?: string; message: string; context?: string; ip?: string; alert?: string; alertCard?: AlertCard; schedule?: { name: string; readOnly: boolean } }): Promise<StartedRun>;
  /**
   * Decides a call whose preview was shown: refused unless it is awaiting (previewed), an approval echoes the
   * args_hash it was shown (and, when sent, its diff_hash), and no earlier call of its turn still waits.
   */
  prepareDecision(input: {
    user: AuthenticatedUser;
    /** the API token the request was made with, if any: deciding needs its approvals:write scope */
    apiToken?: { name: string; scopes: readonly ApiTokenScope[] };
    conversationId: string;
    callId: string;
    approve: boolean;
    reason?: string;
    argsHash?: string;
    diffHash?: string;
    automatic?: boolean;
    autoRevert?: boolean;
    /** "approve without a preview": required to approve a call whose dry-run preview failed */
    withoutPreview?: boolean;
    /** issue 35: the approver's passkey assertion over the call's facts (required where the cluster asks for one) */
    webauthn?: ApprovalWebauthn;
    /** issue 35: a confirmed device key's signature of the call's facts (`skyflo chat`), in place of `webauthn` */
    deviceSignature?: DeviceSignature;
    /** issue 74 item 2: the channel that names who clicked without proving it (Teams): its approvals count only for the requester */
    unverifiedClicker?: string;
    /** issue 76 item 6: an admin's break-glass approval during a change freeze (with `webauthn` or `deviceSignature`) */
    breakGlass?: { reason: string };
    ip?: string;
  }): Promise<StartedRun>;
  /**
   * Issue 21: proposes the inverse of an executed call (its recorded before-state) as a new call awaiting approval in
   * the same conversation (tool-calls/undo/propose-undo.ts). 404 for an unknown or unexecuted call, 409 when no inverse was recorded.
   */
  prepareUndo(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }): Promise<StartedRun & { undoCallId: string }>;
  /**
   * Issue 77 item 2: a call an MCP client outside Skyflo made, proposed through the gate in a conversation of its own
   * (tool-calls/propose/propose-external-call.ts); answers once it awaits a decision (or was refused, or was a read).
   */
  proposeExternalCall(input: ExternalCallInput): Promise<ExternalCallState>;
  /** where an external call stands; 404 unless `user` proposed it */
  externalCallState(input: { user: AuthenticatedUser; conversationId: string; callId: string }): Promise<ExternalCallState>;
  /** the proposer withdraws an external call still awaiting a decision (its MCP client cancelled the task) */
  cancelExternalCall(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }): Promise<ExternalCallState>;
  stop(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** 404 unless the run exists in the user's conversation and its events are still kept */
  assertRunEvents(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** resolves when every run started by this service has finished (for shutdown and tests) */
  idle(): Promise<void>;
  /** stops background work (the reconciler) and waits for runs to finish */
  close(): Promise<void>;
}

export interface AgentServiceDeps extends RunAgentDeps {
  /** the stores and the graph's checkpoints (RunAgentDeps' storage, with the checkpoints the graph resumes from) */
  storage: AgentStorage;
  /** where decisions are recorded (the platform's audit log); optional for agent-only tests */
  audit?: AuditLog;
  /** who may decide calls (APPROVAL_POLICY, APPROVAL_FOUR_EYES); default: the requester decides */
  approvalPolicy?: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** a user's cluster/namespace scope (issue 22); absent: nobody is limited */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** issue 35: which calls need the approver's passkey, and the assertion's check; absent: none does */
  passkeys?: PasskeyApprovals;
}

/** What a request needs of its conversation (agent service): not its timeline. */
type ConversationFacts = Pick<Conversation, 'id' | 'userId' | 'title' | 'cluster'>;

export async function createAgentService(deps: AgentServiceDeps): Promise<AgentService> {
  const { storage } = deps;
  const checkpointer = await storage.checkpointer();
  // The configured LLM keys never reach the audit trail, even pasted into a chat. Read per call: the key can change
  // at runtime (PUT /settings/llm).
  const scrubSecrets = (text: string) => createSecretScrubber(deps.llm.secrets ?? [])(text);
  // Tool calls proposed and executed go to the audit trail from the run's (scrubbed) events.
  const auditor = deps.audit
    ? createRunEventAuditor({ audit: deps.audit, ownerOf: async (id) => (await (storage.conversations.access ? storage.conversations.access(id) : storage.conversations.get(id)))?.userId, ...(deps.logger ? { logger: deps.logger } : {}) })
    : undefined;
  const observeEvent: RunAgentDeps['observeEvent'] = auditor
    ? (event) => {
        auditor.observe(event);
        deps.observeEvent?.(event);
      }
    : deps.observeEvent;
  // A decision hands the checkpoint it read to the run it starts (graph/resume-checkpoint.ts): one read, not two.
  const checkpoints = createResumeCheckpoints(checkpointer);
  // Compiled once per engine; each run passes its own RunContext to invoke.
  // issue 78: a change's verification re-asks the symptom query the conversation ran (when a data source exists)
  const symptomQuery = async (conversationId: string) => symptomQueryIn((await storage.conversations.get(conversationId))?.timeline ?? []);
  const runDeps = { ...deps, ...(observeEvent ? { observeEvent } : {}), graph: buildAgentGraph({ ...deps, approvals: storage.approvals, checkpointer: checkpoints.saver, symptomQuery }) };
  // One run per conversation, on any engine process (conversation-runs.ts): each use case claims, then launches.
  const { claim, launch, settled } = createConversationRuns<RunResult>({
    storage,
    bus: deps.bus,
    config: deps.config,
    logger: deps.logger,
    settleCardsOfDeadRun: (conversationId) => settleCardsOfDeadRunsIn({ storage, logger: deps.logger }, conversationId),
  });
  const idle = async () => {
    await settled();
    await auditor?.flush();
  };

  // Decisions whose run died (engine crash, lost process) are closed and shown, at start and then periodically;
  // a call is never run later as a side effect of something else.
  let reconciling: Promise<void> | undefined;
  const reconcile = () => {
    reconciling ??= reconcileOrphanedApprovals({ storage, logger: deps.logger })
      // Issue 21: verifications a stopped engine left `verifying` are finished (remaining budget) or timed out.
      .then(() => resumeVerifications({ storage, tools: deps.tools, secretBox: deps.secretBox, config: deps.config, inspector: deps.inspector, ...(deps.clusters ? { clusters: deps.clusters } : {}), ...(deps.scopeOf ? { scopeOf: deps.scopeOf } : {}), ...(deps.executeAsApprover ? { executeAsApprover: deps.executeAsApprover } : {}), ...(deps.enforcement ? { enforcement: deps.enforcement } : {}), ...(deps.jenkinsIntegration ? { jenkinsIntegration: deps.jenkinsIntegration } : {}), ...(deps.approvalPolicy ? { approvalPolicy: deps.approvalPolicy } : {}), ...(deps.emergencyStop ? { emergencyStop: deps.emergencyStop } : {}), ...(deps.emergencyStopSignal ? { emergencyStopSignal: deps.emergencyStopSignal } : {}), ...(observeEvent ? { observeEvent } : {}), ...(deps.logger ? { logger: deps.logger } : {}) }))
      .then(() => undefined)
      .finally(() => (reconciling = undefined));
  };
  reconcile();
  const reconciler = setInterval(reconcile, Math.max(1_000, deps.config.runLeaseMs));
  reconciler.unref();

  const policy = deps.approvalPolicy ?? { policy: 'self' as const, fourEyes: false };
  // Every fact a decision's rules read, gathered as the pending list gathers them (tool-calls/decide/gather-facts.ts).
  const decisionFacts = createDecisionFactsGatherer({
    environment: policy,
    approvals: storage.approvals,
    conversations: storage.conversations,
    scopeOf: deps.scopeOf,
    // the clusters configured now (issue 37 item 7): unknown when the MCP server cannot answer — execution still checks
    ...(deps.clusters ? { configuredClusters: () => deps.clusters!.directory.list() } : {}),
    pausedCallIds: async (conversationId) => pausedCallIds(await checkpoints.read(conversationId)),
    passkeys: deps.passkeys,
    inspector: deps.inspector,
    // issue 76: nothing is approved while the emergency stop is on
    ...(deps.emergencyStop ? { emergencyStop: () => deps.emergencyStop!.state() } : {}),
    ...(deps.freezes ? { activeFreeze: (call: { cluster?: string | undefined; namespaces: readonly string[] }) => deps.freezes!.activeFor(call) } : {}),
  });
  // A chat's start writes its audit record with its claim only where the audit trail is the storage's own.
  const ownAuditTrail = !deps.audit || deps.audit === (storage as Partial<PlatformStorage>).audit;
  const conversationClusters = deps.clusters ? createConversationClusters({ ...deps.clusters, ...(deps.scopeOf ? { scopeOf: deps.scopeOf } : {}) }) : undefined;
  const notFound = (conversationId: string) => new AgentRequestError(404, 'CONVERSATION_NOT_FOUND', `Conversation ${conversationId} not found`);
  const refusalError = (refusal: DecisionRefusal) => new AgentRequestError(refusal.status, refusal.code, refusal.reason);
  /**
   * The conversation, when `user` may do `action` with it (tool-calls/decide/conversation-access.ts): chatting (`change`) only in
   * your own; deciding, stopping and re-attaching (`act`) also, with APPROVAL_POLICY=approver, as an approver or admin.
   * Refused access is reported as missing, so ids cannot be probed.
   */
  async function accessibleConversation(user: AuthenticatedUser, conversationId: string, action: ConversationAction): Promise<ConversationFacts> {
    // Its owner, cluster and title, not its timeline: a long conversation's is megabytes to read.
    const found = storage.conversations.access ? await storage.conversations.access(conversationId) : await storage.conversations.get(conversationId);
    // the actor's cluster scope matters only in someone else's conversation (issue 74 item 8)
    const actorScope = found && found.userId !== user.id ? await deps.scopeOf?.(user.id) : undefined;
    if (!found || !conversationAccess({ policy: policy.policy, actor: user, conversationOwnerId: found.userId, reach: { actorScope, conversationCluster: found.cluster } }, action)) throw notFound(conversationId);
    return { id: conversationId, userId: found.userId, title: found.title ?? '', ...(found.cluster !== undefined ? { cluster: found.cluster } : {}) };
  }

  /**
   * Claims the conversation for `runId` and reads its paused turn again, now that no run can be writing it: the turn
   * (to resume from) when it holds `callId`; otherwise the conversation's stranded calls are closed
   * (close-unresumable.ts), the claim released, and the decision refused with 409 RUN_NOT_RESUMABLE.
   */
  async function claimToCheckResumable(conversationId: string, runId: string, userId: string, callId: string): Promise<{ turn: Awaited<ReturnType<typeof checkpoints.read>> }> {
    await claim(conversationId, runId, userId);
    try {
      const turn = await checkpoints.read(conversationId);
      const paused = pausedCallIds(turn);
      if (paused.includes(callId)) return { turn };
      const closed = await closeUnresumableCalls({ storage }, conversationId, paused);
      deps.logger?.error({ conversationId, callIds: closed.map((record) => record.callId) }, 'closed calls whose run ended before saving the turn they paused at');
    } catch (error) {
      await storage.runs.finish(runId).catch(() => undefined);
      throw error;
    }
    await storage.runs.finish(runId);
    throw new AgentRequestError(409, 'RUN_NOT_RESUMABLE', unresumableDecisionText(callId));
  }

  const proposeUndo = createUndoProposer({
    approvals: storage.approvals,
    secretBox: deps.secretBox,
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    accessibleConversation: (user, conversationId) => accessibleConversation(user, conversationId, 'act'),
    claim,
    release: (runId) => storage.runs.finish(runId),
    // an undo run knows the conversation's cluster and the requester's scope like any other run (issue 22)
    start: (conversationId, runId, input) =>
      launch(conversationId, runId, async (release) => {
        const clusterContext = conversationClusters ? await conversationClusters.forRun(input.requester.id, (await storage.conversations.get(conversationId))?.cluster) : {};
        return runAgent(runDeps, { runId, conversationId, ...input, ...clusterContext, release });
      }),
  });

  const externalCalls = createExternalCalls({
    approvals: storage.approvals,
    ...(deps.audit ? { audit: deps.audit } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    createConversation: async (user, title) => {
      const pinned = await conversationClusters?.pinFor(user.id, undefined);
      return storage.conversations.create({ userId: user.id, title, ...(pinned ? { cluster: pinned } : {}) });
    },
    // the proposer's own conversation only: the state of a call is its proposer's to read
    ownConversation: async (user, conversationId) => {
      const found = await storage.conversations.get(conversationId);
      return found && found.userId === user.id ? found : undefined;
    },
    claim,
    // a withdrawn call's card says so, as a call closed unresumable does (close-unresumable.ts), and so do its Slack
    // and Teams cards (the team's notifier sees the closing event as it sees a run's)
    closeCard: async (conversationId, event) => {
      await storage.conversations.updateTimeline(conversationId, (timeline) => applyEventToTimeline(timeline, event));
      deps.observeEvent?.(event);
    },
    start: (conversationId, runId, input) =>
      launch(conversationId, runId, async (release) => {
        const clusterContext = conversationClusters ? await conversationClusters.forRun(input.requester.id, (await storage.conversations.get(conversationId))?.cluster) : {};
        return runAgent(runDeps, { runId, conversationId, ...input, ...clusterContext, release });
      }),
    approvalPage: (conversationId, callId) => (deps.passkeys ? deps.passkeys.approvalPage(conversationId, callId) : approvalPageUrl('', conversationId, callId)),
  });

  return {
    async prepareChat({ user, conversationId, message, context, ip, alert, alertCard, schedule }) {
      const content = message.trim();
      if (!content) throw new AgentRequestError(400, 'EMPTY_MESSAGE', 'The message is empty; send at least one user message with content.');
      const runId = randomUUID();
      let conversation: ConversationFacts;
      /** the conversation was started with the user's message and the request's audit record in one statement */
      let messageWritten = false;
      /** the request's audit record was written with the run's claim */
      let recorded = false;
      // The requester's scope, read once for the chat's start: the pin of a new conversation and the run's cluster
      // context both need it (two reads of the same user row per chat before, issue 79 item 5).
      let requesterScope: Promise<MemberScope | undefined> | undefined;
      const scopeOnce = () => {
        if (!requesterScope) {
          requesterScope = deps.scopeOf ? deps.scopeOf(user.id) : Promise.resolve(undefined);
          // a failed read fails whoever awaits it; one that nobody reaches (the clusters unlisted) is not unhandled
          requesterScope.catch(() => undefined);
        }
        return requesterScope;
      };
      const chatRequestRecord = (id: string) => ({ actorId: user.id, action: 'chat.request', conversationId: id, subjectType: 'conversation', subjectId: id, details: { run_id: runId, text: scrubSecrets(content), ...(schedule ? { via: `schedule: ${schedule.name}` } : {}) }, ...(ip ? { ip } : {}) });
      if (conversationId) {
        conversation = await accessibleConversation(user, conversationId, 'change');
        if (context !== undefined && conversation.cluster !== undefined && context !== conversation.cluster) {
          throw new AgentRequestError(409, 'CONVERSATION_PINNED', `This conversation is pinned to cluster ${conversation.cluster}; start a new conversation for ${context} (or ask for it by name: calls may name another cluster with context).`);
        }
        if (conversation.cluster === undefined && conversationClusters) {
          // A conversation made by POST /conversations (or before clusters) is pinned at its first chat.
          const pinned = await conversationClusters.pinFor(user.id, context, scopeOnce());
          if (pinned) conversation = (await storage.conversations.update(conversation.id, { cluster: pinned })) ?? conversation;
        }
        const approvalPending = (callIds: string[]) =>
          new AgentRequestError(409, 'APPROVAL_PENDING', `This conversation has tool calls waiting for approval (${callIds.join(', ')}); approve or deny them with POST /agent/approvals/{call_id} first.`);
        // One statement for the claim, the check for calls awaiting approval, the request's audit record and the user's
        // entry (issue 38; storage/start-chat.ts), when the audit trail is the storage's own; a held conversation takes
        // the long way.
        const continued =
          storage.conversations.continueChat && !alertCard && ownAuditTrail
            ? await storage.conversations.continueChat({
                conversationId,
                userId: user.id,
                runId,
                leaseMs: deps.config.runLeaseMs,
                maxRunningPerUser: deps.config.maxRunsPerUser,
                audit: deps.audit ? chatRequestRecord(conversationId) : undefined,
                entry: { id: randomUUID(), content, timestamp: Date.now() },
              })
            : undefined;
        if (continued?.ok === false && continued.reason === 'user_limit') throw tooManyRuns(continued.running, deps.config.maxRunsPerUser);
        if (continued?.ok === false && continued.reason === 'approval_pending') throw approvalPending(continued.callIds);
        if (continued?.ok) {
          recorded = true;
          messageWritten = true;
        } else {
          await claim(conversationId, runId, user.id);
          const awaiting = (await storage.approvals.listForConversation(conversationId)).filter((record) => record.status === 'awaiting');
          if (awaiting.length > 0) {
            await storage.runs.finish(runId);
            throw approvalPending(awaiting.map((record) => record.callId));
          }
        }
      } else {
        const pinned = await conversationClusters?.pinFor(user.id, context, scopeOnce());
        // One statement for the conversation, the claim, the user's message and the request's audit record (issue 38;
        // storage/start-chat.ts): when the audit trail is the storage's own, so the record commits with the state.
        if (storage.conversations.startChat && !alertCard && ownAuditTrail) {
          const started = await storage.conversations.startChat({
            userId: user.id,
            cluster: pinned,
            runId,
            leaseMs: deps.config.runLeaseMs,
            maxRunningPerUser: deps.config.maxRunsPerUser,
            timeline: appendUserEntry([], { id: randomUUID(), content, timestamp: Date.now() }),
            audit: deps.audit ? (id) => chatRequestRecord(id) : undefined,
          });
          if (!started.ok) throw tooManyRuns(started.running, deps.config.maxRunsPerUser);
          conversation = started.conversation;
          messageWritten = true;
          recorded = true;
        } else {
          conversation = await storage.conversations.create({ userId: user.id, ...(pinned ? { cluster: pinned } : {}) });
          await claim(conversation.id, runId, user.id);
        }
      }
      if (!recorded) {
        await deps.audit
          ?.record(chatRequestRecord(conversation.id))
          .catch((error: unknown) => deps.logger?.error({ err: error, runId }, 'could not record the chat request in the audit trail'));
      }
      // Read while the stream is set up; a failure (the scope unreadable) fails the run rather than running unscoped.
      const clusterContext = conversationClusters?.forRun(user.id, conversation.cluster, scopeOnce());
      clusterContext?.catch(() => undefined);
      const start = launch(conversation.id, runId, async (release) =>
        runAgent(runDeps, {
          release,
          runId,
          conversationId: conversation.id,
          userMessage: content,
          wantsTitle: !conversation.title,
          requester: { id: user.id, email: user.email, ...(alert !== undefined ? { alert } : {}), ...(schedule ? { schedule } : {}) },
          ...(await clusterContext),
          // inside the run: if the database refuses the message, the stream ends with the error instead of hanging
          prepare: async () => {
            if (messageWritten) return;
            // An alert investigation shows the alert, not the engine's instruction, as its entry (issue 37 item 9).
            await storage.conversations.updateTimeline(conversation.id, (timeline) =>
              alertCard
                ? appendAlertEntry(timeline, { id: randomUUID(), content: alertCard.annotations['description'] ?? alertCard.annotations['summary'] ?? alertCard.title, timestamp: Date.now(), alert: alertCard })
                : appendUserEntry(timeline, { id: randomUUID(), content, timestamp: Date.now() }),
            );
          },
        }),
      );
      return { runId, conversationId: conversation.id, start };
    },

    async prepareDecision({ user, apiToken, conversationId, callId, approve, reason, argsHash, diffHash, automatic, autoRevert, withoutPreview, webauthn, deviceSignature, unverifiedClicker, breakGlass: breakGlassAsked, ip }) {
      const request = { approve, argsHash, diffHash, autoRevert, withoutPreview, webauthn: webauthn !== undefined, deviceSignature: deviceSignature !== undefined && webauthn === undefined, ...(unverifiedClicker ? { unverifiedClicker } : {}), ...(breakGlassAsked ? { breakGlass: breakGlassAsked } : {}) };
      // The request's own shape first: nothing is read for a request that could never be granted.
      const malformed = decide({ conversationId, callId, environment: policy, actor: user, conversation: undefined, call: undefined, deciderScope: undefined, request }, [requestShapeRule]);
      if (malformed) throw refusalError(malformed);
      // The reads at once (Postgres serves them in parallel; PGlite's thread takes them back to back, without a trip
      // through this thread between them); the paused turn is handed to the run below. Read for a denial too (issue 75):
      // either decision resumes the paused turn, and one that is not there cannot be resumed.
      const pausedTurn = checkpoints.read(conversationId);
      pausedTurn.catch(() => undefined); // awaited only when the record is an awaiting call
      const turnOrder = pausedTurn.then(pausedCallIds);
      turnOrder.catch(() => undefined); // read only when another call of the turn still waits
      // One function gathers what the rules read, the same the pending list asks (tool-calls/decide/gather-facts.ts);
      // one function decides (tool-calls/decide): the first refusal is the answer.
      const { facts, conversation: found, record } = await decisionFacts.forDecision({
        actor: { id: user.id, email: user.email, role: user.role, ...(apiToken ? { apiToken } : {}) },
        conversationId,
        callId,
        request,
        pausedCallIds: turnOrder,
      });
      const passkey = facts.passkey;
      const refusal = decide(facts);
      if (refusal) {
        const line = gateLogLineOfRefusal(refusal, { conversationId, callId, decidedBy: user.id });
        deps.logger?.[line.level](line.fields, line.message);
      }
      if (refusal || !found || !record) throw refusalError(refusal ?? { status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${conversationId} not found` });
      // The rules let a passkey call through only with an assertion: it must be this person's, over this call's facts.
      let passkeyAssertion: StoredAssertion | StoredDeviceSignature | undefined;
      if (passkey && (webauthn || deviceSignature)) {
        try {
          passkeyAssertion = webauthn ? await deps.passkeys!.verifyApproval(user, record, webauthn) : await deps.passkeys!.verifyDeviceSignature(user, record, deviceSignature!);
        } catch (error) {
          if (error instanceof PasskeyError) throw new AgentRequestError(error.statusCode, error.code, `${error.message} (tool call ${callId}: ${passkey.approveAt})`);
          throw error;
        }
      }
      // Issue 76: a call a policy gives several approvers keeps waiting until the last of them approves; the earlier
      // approvals are recorded with it (and audited), and the request answers 202 MORE_APPROVALS_NEEDED.
      // Issue 76 item 6: the rules let a break-glass through only for an admin, with a verified passkey, while the freeze
      // holds; the row records it (the execution then skips the freeze re-check for this call only).
      const breakGlass = approve && breakGlassAsked && facts.freeze && passkeyAssertion ? { reason: breakGlassAsked.reason, freeze: facts.freeze.name, freezeEndsAt: facts.freeze.endsAt, by: user.id } : undefined;
      if (breakGlassAsked && approve && !breakGlass) throw new AgentRequestError(403, 'BREAK_GLASS_PASSKEY_REQUIRED', `Breaking a change freeze for tool call ${callId} needs your verified passkey; approve it with "Break glass" in the Command Center.`);
      if (approve) await recordCoApproval({ approvals: storage.approvals, audit: deps.audit, record, user, passkeyAssertion: passkeyAssertion ? { ...passkeyAssertion } : undefined, reason, ip });
      const conversation = found;
      // Recorded only when the call had no preview: the acknowledgement is part of what was approved.
      const approvedWithoutPreview = approve && withoutPreview === true && record !== undefined && hasFailedPreview(record);
      const runId = randomUUID();
      // The decision's audit record is written by the same statement as the decision (issue 32.3).
      const decidedAt = new Date();
      const decisionAudit = deps.audit ? decisionAuditRecord({ record, actorId: user.id, approve, automatic, autoRevert, reason, runId, decidedAt, approvedWithoutPreview, ip, ...(passkeyAssertion ? { passkeyAssertion } : {}), ...(breakGlass ? { breakGlass } : {}) }) : undefined;
      const decision = { conversationId, callId, approve, decidedBy: user.id, reason, automatic, autoRevert, decisionRunId: runId, decidedAt, ...(decisionAudit ? { audit: decisionAudit } : {}), ...(passkeyAssertion ? { passkeyAssertion: { ...passkeyAssertion } } : {}), ...(breakGlass ? { breakGlass } : {}) };
      // Not decided (its record could not be written with it): the conversation is free again, the call still waits.
      const releasing = async (error: unknown): Promise<never> => {
        await storage.runs.finish(runId).catch(() => undefined);
        throw error;
      };
      // The state the run resumes from is read once the conversation is claimed, so no run can write it before the
      // run started here takes it (its graph takes this read instead of making its own: graph/resume-checkpoint.ts);
      // unreadable, the run reads it itself. The paused turn read above is that state when nothing was written since.
      const resumeState = async () => (approve ? checkpoints.readAgain(conversationId, await pausedTurn.catch(() => undefined)).catch(() => undefined) : undefined);
      // Issue 75 item 2: the paused turn must hold the call, or no run can resume it. Read before the claim, it may
      // be a run's that is still saving its turn: the conversation is claimed first (409 RUN_IN_PROGRESS while that
      // run holds it) and the turn read again; still not there, the call is closed and the decision refused.
      const claimedToCheck = record.status === 'awaiting' && !pausedCallIds(await pausedTurn).includes(callId) ? await claimToCheckResumable(conversationId, runId, user.id, callId) : undefined;
      // The claim and the decision in one statement where the store can (issue 38: a round trip fewer on the way to
      // the tool); when that claim is refused nothing was written, and the claim takes the long way (409, 429, a
      // stopped run's grace) before the decision.
      const together =
        storage.approvals.decideClaimingRun && !claimedToCheck
          ? await storage.approvals.decideClaimingRun({ ...decision, claim: { leaseMs: deps.config.runLeaseMs, userId: user.id, maxRunningPerUser: deps.config.maxRunsPerUser } }).catch(releasing)
          : { claimed: false as const };
      let resumeFrom: Awaited<ReturnType<typeof resumeState>>;
      let decided: ApprovalRecord | undefined;
      if (together.claimed) {
        decided = together.decided;
        resumeFrom = decided ? await resumeState() : undefined;
      } else if (claimedToCheck) {
        [resumeFrom, decided] = [approve ? claimedToCheck.turn : undefined, await storage.approvals.decide(decision).catch(releasing)];
      } else {
        await claim(conversationId, runId, user.id);
        // Read while the decision is recorded (one round trip). The atomic awaiting → decided update is what makes a
        // double click (or two engines) execute once.
        [resumeFrom, decided] = await Promise.all([resumeState(), storage.approvals.decide(decision).catch(releasing)]);
      }
      if (!decided) {
        await storage.runs.finish(runId);
        throw new AgentRequestError(409, 'ALREADY_DECIDED', `Tool call ${callId} was already decided; nothing was executed again.`);
      }
      const clusterContext = conversationClusters?.forRun(conversation.userId, conversation.cluster);
      clusterContext?.catch(() => undefined);
      const start = launch(conversationId, runId, async (release) =>
        checkpoints.resumeWith(conversationId, resumeFrom, async () =>
          runAgent(runDeps, { release, runId, conversationId, wantsTitle: false, decided, requester: { id: conversation.userId }, approver: { id: user.id, email: user.email, role: user.role }, ...(await clusterContext) }),
        ),
      );
      return { runId, conversationId, start };
    },

    async stop({ user, conversationId, runId }) {
      await accessibleConversation(user, conversationId, 'act');
      const run = await storage.runs.get(runId);
      if (run && run.conversationId !== conversationId) throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} does not belong to conversation ${conversationId}`);
      // Through the bus, so the engine process running the workflow aborts it, whichever one that is.
      try {
        await deps.bus.requestStop(runId);
      } catch (error) {
        // Redis down: a run of this process was still stopped locally; one elsewhere cannot be reached now.
        if (error instanceof BusPublishError && error.deliveredLocally) return;
        throw new AgentRequestError(503, 'EVENT_BUS_UNAVAILABLE', `The stop could not be delivered: ${error instanceof Error ? error.message : String(error)}. Try again when GET /api/v1/health reports the bus ok.`);
      }
    },

    async assertRunEvents({ user, conversationId, runId }) {
      await accessibleConversation(user, conversationId, 'act');
      const run = await storage.runs.get(runId);
      if (!run || run.conversationId !== conversationId) {
        throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} not found in conversation ${conversationId}; use the run_id of the \`ready\` event of a chat or approval stream.`);
      }
      const expiredBefore = Date.now() - deps.config.runEventsTtlSeconds * 1000;
      if (run.finishedAt && run.finishedAt.getTime() < expiredBefore) {
        throw new AgentRequestError(
          404,
          'RUN_EVENTS_EXPIRED',
          `Run ${runId} finished at ${run.finishedAt.toISOString()} and its events are no longer kept (EVENT_BUFFER_TTL_SECONDS); read the outcome with GET /conversations/${conversationId}.`,
        );
      }
    },

    prepareUndo: (input) => proposeUndo(input),

    proposeExternalCall: (input) => externalCalls.propose(input),

    externalCallState: ({ user, conversationId, callId }) => externalCalls.stateOf(user, conversationId, callId),

    cancelExternalCall: (input) => externalCalls.cancel(input),

    idle,

    async close() {
      clearInterval(reconciler);
      await reconciling;
      await idle();
    },
  };
}
