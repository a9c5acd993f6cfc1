/**
 * The agent routes (spec §1/§2), mounted by the platform under /api/v1 behind its auth hook:
 *   POST /agent/chat                 {messages:[{role,content}], conversation_id?} → SSE
 *   POST /agent/approvals/:call_id   {approve, reason?, conversation_id, args_hash (to approve), diff_hash?} → SSE (the resumed run)
 *   POST /agent/approvals/:call_id/undo  {conversation_id} → SSE: the inverse of an executed call, proposed and awaiting approval
 *   POST /agent/external-calls      {tool, arguments, client?} → ExternalCallState: an MCP client's call proposed through the gate (issue 77 item 2)
 *   GET  /agent/external-calls/:call_id?conversation_id=…  → ExternalCallState (the proposer only)
 *   POST /agent/external-calls/:call_id/cancel  {conversation_id} → ExternalCallState: the proposer withdraws it while awaiting
 *   POST /agent/stop                 {conversation_id, run_id} → {status:"stopped", conversation_id, run_id}
 *   GET  /agent/tools                → [{name,title,annotations,tags}]  (502 when the MCP server fails)
 *   GET  /agent/runs/:run_id/events?conversation_id=…  (+ Last-Event-ID) → SSE: re-attach to a run after a dropped
 *        connection, on any engine process (the bus keeps a replay buffer); frames after Last-Event-ID, then live
 * Every route needs `request.user` (set by the platform's authenticate hook); without one it answers 401.
 * Only the conversation's owner chats in it. Who decides approvals follows APPROVAL_POLICY (approvals/
 * decision-authority.ts): the owner (`self`), or approvers and admins in any conversation (`approver`), who may then
 * also stop and re-attach to the runs their decisions start.
 */
import { approvalRequestSchema, chatRequestSchema, externalCallCancelSchema, externalCallRequestSchema, stopRequestSchema, undoRequestSchema, type ToolSummary } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AgentService } from '../../../app/agent/create-agent-service.ts';
import { isSkyfloError } from '../../../platform/errors/skyflo-error.ts';
import type { AgentConfig } from '../../../platform/config/agent.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { AuthenticatedUser, EventBus, RunStore } from '../../../platform/ports/index.ts';
import { streamRun } from './stream-run.ts';
import { DependencyUnavailableError, type DependencyProbes } from '../../../platform/observability/dependency-probes.ts';

/**
 * What the routes use. The agent service itself is built by the composition root (create-engine.ts, through
 * startup/deferred-agent-service.ts so the workflow still loads after listen); the routes only translate HTTP.
 */
export interface AgentRouteDeps {
  service: AgentService;
  /** the run events streamed to the client */
  bus: EventBus;
  /** GET /agent/tools */
  tools: ToolGateway;
  /** whether a re-attached run is still alive (its lease) */
  runs: Pick<RunStore, 'get'>;
  config: Pick<AgentConfig, 'heartbeatMs' | 'runLeaseMs'>;
  /**
   * Issue 75: the database and the event bus, probed with a real round trip; a run (or a stop, or a re-attached
   * stream) that needs one that does not answer is refused with 503 and Retry-After at once instead of hanging.
   */
  dependencies?: Pick<DependencyProbes, 'require'>;
}

const resumeQuerySchema = z.object({
  conversation_id: z.uuid('conversation_id must be a UUID'),
  last_event_id: z.coerce.number({ error: 'Last-Event-ID must be a number' }).int().min(0).default(0),
});

function userOf(request: FastifyRequest): AuthenticatedUser | undefined {
  return (request as FastifyRequest & { user?: AuthenticatedUser }).user;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

export const agentRoutes: FastifyPluginAsync<AgentRouteDeps> = async (app, deps) => {
  const { service } = deps;

  /**
   * How every run stream watches its run (issue 75 item 3): alive while its lease is renewed; a run whose engine
   * died, or whose state cannot be read for a lease, ends the stream with `completed(error)` within about a lease,
   * never heartbeats for ever. A stream of a run started here watches it too: that run may hang on a part that
   * stopped answering, or its process may freeze.
   */
  const watchRun = (runId: string) => ({
    runState: async () => {
      const run = await deps.runs.get(runId);
      if (run?.status === 'running') return run.leaseUntil.getTime() > Date.now() ? ('alive' as const) : ('lapsed' as const);
      // finished after its lease had lapsed: closed by another process (the reconciler) because its engine died
      return run?.finishedAt && run.finishedAt.getTime() <= run.leaseUntil.getTime() ? ('finished' as const) : ('lapsed' as const);
    },
    livenessIntervalMs: Math.max(250, Math.floor(deps.config.runLeaseMs / 3)),
    unreadableForMs: deps.config.runLeaseMs,
  });

  const authenticated = (request: FastifyRequest, reply: FastifyReply): AuthenticatedUser | undefined => {
    const user = userOf(request);
    if (!user) void reply.code(401).send({ detail: 'Not authenticated' });
    return user;
  };

  const fail = (reply: FastifyReply, error: unknown) => {
    // The agent service's refusals (AgentRequestError) and any other engine error that carries a status.
    if (isSkyfloError(error) && error.statusCode !== undefined) {
      // A per-user run limit frees up as runs finish, a dependency comes back: tell clients when to look again.
      if (error.code === 'TOO_MANY_RUNS') void reply.header('retry-after', '5');
      if (error instanceof DependencyUnavailableError) void reply.header('retry-after', String(error.retryAfterSeconds));
      // the code too: a client tells PASSKEY_REQUIRED (approve with a passkey) from other refusals without parsing words
      return reply.code(error.statusCode).send({ detail: error.message, code: error.code });
    }
    throw error;
  };

  app.post('/agent/chat', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = chatRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid chat request: ${describeIssues(parsed.error)}` });
    const message = [...parsed.data.messages].reverse().find((item) => item.role === 'user' && item.content.trim());
    if (!message) return reply.code(400).send({ detail: 'messages must contain a user message with non-empty content' });
    try {
      await deps.dependencies?.require(['database', 'bus']);
      if (!parsed.data.conversation_id) await app.conversationQuota?.(request, reply);
      const run = await service.prepareChat({ user, conversationId: parsed.data.conversation_id, message: message.content, ...(parsed.data.context ? { context: parsed.data.context } : {}), ip: request.ip });
      await streamRun({ request, reply, bus: deps.bus, runId: run.runId, conversationId: run.conversationId, start: run.start, heartbeatMs: deps.config.heartbeatMs, ...watchRun(run.runId), checkStateAtOnce: false });
      return reply;
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post<{ Params: { call_id: string } }>('/agent/approvals/:call_id', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = approvalRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid approval request: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['database', 'bus']);
      const run = await service.prepareDecision({
        user,
        conversationId: parsed.data.conversation_id,
        callId: request.params.call_id,
        approve: parsed.data.approve,
        reason: parsed.data.reason,
        argsHash: parsed.data.args_hash,
        diffHash: parsed.data.diff_hash,
        automatic: parsed.data.automatic,
        ...(parsed.data.auto_revert ? { autoRevert: true } : {}),
        ...(parsed.data.approve_without_preview ? { withoutPreview: true } : {}),
        ...(parsed.data.webauthn ? { webauthn: parsed.data.webauthn } : {}),
        ...(parsed.data.device_signature ? { deviceSignature: parsed.data.device_signature } : {}),
        ...(parsed.data.break_glass ? { breakGlass: { reason: parsed.data.break_glass.reason } } : {}),
        // an API token decides only with approvals:write (tool-calls/decide)
        ...(request.apiToken ? { apiToken: request.apiToken } : {}),
        ip: request.ip,
      });
      await streamRun({ request, reply, bus: deps.bus, runId: run.runId, conversationId: run.conversationId, start: run.start, heartbeatMs: deps.config.heartbeatMs, ...watchRun(run.runId), checkStateAtOnce: false });
      return reply;
    } catch (error) {
      return fail(reply, error);
    }
  });

  // Issue 21: proposes the inverse of an executed call as a new call awaiting approval; streams that run like a chat turn.
  app.post<{ Params: { call_id: string } }>('/agent/approvals/:call_id/undo', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = undoRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid undo request: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['database', 'bus']);
      const run = await service.prepareUndo({ user, conversationId: parsed.data.conversation_id, callId: request.params.call_id, ip: request.ip });
      await streamRun({ request, reply, bus: deps.bus, runId: run.runId, conversationId: run.conversationId, start: run.start, heartbeatMs: deps.config.heartbeatMs, ...watchRun(run.runId), checkStateAtOnce: false });
      return reply;
    } catch (error) {
      return fail(reply, error);
    }
  });

  /**
   * Issue 77 item 2: the MCP server (`skyflo mcp --confirm=skyflo`) hands an external client's call to the gate, in
   * its credential owner's name (a session, or an API token with `chat`: api-token-scopes.ts); it decides nothing.
   * Answers when the proposing run ends (the preview is done): 201 with where the call stands.
   */
  app.post('/agent/external-calls', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = externalCallRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid external call: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['database', 'bus']);
      await app.conversationQuota?.(request, reply);
      const state = await service.proposeExternalCall({ user, tool: parsed.data.tool, args: parsed.data.arguments, ...(parsed.data.client ? { client: parsed.data.client } : {}), ip: request.ip });
      return reply.code(201).send(state);
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { call_id: string }; Querystring: { conversation_id?: string } }>('/agent/external-calls/:call_id', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const conversationId = request.query.conversation_id;
    if (!conversationId || !z.uuid().safeParse(conversationId).success) return reply.code(400).send({ detail: 'conversation_id must be a UUID' });
    try {
      await deps.dependencies?.require(['database']);
      return await service.externalCallState({ user, conversationId, callId: request.params.call_id });
    } catch (error) {
      return fail(reply, error);
    }
  });

  /**
   * The proposer only (as the GET: anyone else gets 404), with the credential it proposed with (`chat`): the MCP
   * server cancels the call its client's task waited for. Closes it only while awaiting; never stops a decided call.
   */
  app.post<{ Params: { call_id: string } }>('/agent/external-calls/:call_id/cancel', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = externalCallCancelSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid cancel request: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['database']);
      return await service.cancelExternalCall({ user, conversationId: parsed.data.conversation_id, callId: request.params.call_id, ip: request.ip });
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post('/agent/stop', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = stopRequestSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid stop request: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['bus']);
      await service.stop({ user, conversationId: parsed.data.conversation_id, runId: parsed.data.run_id });
      return { status: 'stopped', conversation_id: parsed.data.conversation_id, run_id: parsed.data.run_id };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<{ Params: { run_id: string }; Querystring: { conversation_id?: string; last_event_id?: string } }>('/agent/runs/:run_id/events', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    const parsed = resumeQuerySchema.safeParse({ ...request.query, last_event_id: request.headers['last-event-id'] ?? request.query.last_event_id });
    if (!parsed.success) return reply.code(400).send({ detail: `Invalid request: ${describeIssues(parsed.error)}` });
    try {
      await deps.dependencies?.require(['database', 'bus']);
      // Unknown (or expired) runs are refused here; otherwise the stream would wait for events that never come.
      await service.assertRunEvents({ user, conversationId: parsed.data.conversation_id, runId: request.params.run_id });
      await streamRun({
        request,
        reply,
        bus: deps.bus,
        runId: request.params.run_id,
        conversationId: parsed.data.conversation_id,
        afterIndex: parsed.data.last_event_id,
        heartbeatMs: deps.config.heartbeatMs,
        ...watchRun(request.params.run_id),
      });
      return reply;
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get('/agent/tools', async (request, reply) => {
    const user = authenticated(request, reply);
    if (!user) return reply;
    try {
      const tools = await deps.tools.listTools();
      return tools.map((tool): ToolSummary => ({ name: tool.name, title: tool.title, annotations: tool.annotations ?? {}, tags: tool.tags }));
    } catch (error) {
      request.log.error({ err: error }, 'listing MCP tools failed');
      return reply.code(502).send({ detail: 'The MCP server could not be reached to list tools; check MCP_SERVER_URL and that the server is running.' });
    }
  });
};
