/**
 * The executor's HTTP API (Fastify). Each caller has its own bearer token and opens only its endpoints
 * (caller-auth.ts, issue 73): the engine /v1/approvals* and /v1/approver-keys*, the MCP server POST /v1/dry-run and
 * POST /v1/helm/render (its Helm previews rendered as the executor, Secret values redacted: helm/helm-render.ts), and
 * the API server /v1/admission — with its admission token when one is configured; without one (a stock API server
 * presents no credential) the webhook answers anyone, and its refusals then reveal nothing about approvals.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { approvalCredentialRequestSchema, approverKeySchema, skyfloApprovalDocumentSchema } from '@skyflo/protocol';
import { reviewAdmission, type AdmissionRequest } from './admission.ts';
import { refusalMessage } from './admission-refusal.ts';
import { createCallerAuth, type Caller } from './caller-auth.ts';
import type { ApprovalStore } from './approval-store.ts';
import type { ApproverKeyStore } from './approver-keys.ts';
import type { ApproverSignatureChecker } from './approver-signature.ts';
import { ExecutorError, type ExecutorLogger } from './executor-options.ts';
import type { CredentialMinter } from './mint-credential.ts';
import { dryRunRequestSchema, type DryRunProxy } from './dry-run-proxy.ts';
import { approvalWebhookPath } from './webhook-configuration.ts';
import { checkUsable, type ApprovalVerifier } from './verify-approval.ts';
import { checkRevertBinding } from './revert-binding.ts';
import { checkBinding } from './approval-binding.ts';
import { computeGrant } from './grant/compute-grant.ts';
import type { EmergencyStopCheck } from './emergency-stop.ts';
import type { OwnKube } from './grant/own-kube.ts';
import { recordDryRuns } from './mint-policy-input.ts';
import type { PolicyCheck } from './policy-check.ts';
import { helmRenderRequestSchema, type HelmRenderer } from './helm/helm-render.ts';
import type { HelmRenderStore } from './helm/helm-render-store.ts';

export interface ExecutorHttpDeps {
  namespace: string;
  /** the engine's bearer: approvals, credentials, approver keys */
  callerToken: string;
  /** the MCP server's bearer: POST /v1/dry-run only (absent: the dry-run proxy is closed) */
  dryRunToken?: string;
  /** what the API server presents to the webhook (absent: the webhook answers anonymous calls, saying little) */
  admissionToken?: string;
  store: ApprovalStore;
  verifier: ApprovalVerifier;
  minter: CredentialMinter;
  approverKeys: ApproverKeyStore;
  approverSignature: ApproverSignatureChecker;
  now: () => Date;
  logger: ExecutorLogger;
  tls?: { certPem: string; keyPem: string };
  dryRun: DryRunProxy;
  /** the cluster as the executor's own identity sees it: what grants are computed from (issue 73) */
  kube: OwnKube;
  /** the cluster this executor guards, as approvals name it */
  clusterName: string;
  /** issue 73 item 6: Helm previews rendered as the executor (the MCP server's token), and the renders it keeps */
  helmRenderer: HelmRenderer;
  helmRenders: HelmRenderStore;
  /** issue 76: the cluster's emergency stop (an annotation on the SkyfloAI object); absent: none is read */
  emergencyStop?: EmergencyStopCheck;
  /** issue 76: the SkyfloPolicy and SkyfloFreeze objects, judged at each mint (policy-check.ts); absent: none are read */
  policyCheck?: PolicyCheck;
}

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The engine's emergency stop as it announces it (PUT /v1/emergency-stop). */
const engineStopSchema = z.strictObject({ active: z.boolean(), reason: z.string().max(1000).optional(), by: z.string().max(320).optional(), since: z.string().max(64).optional() });

function sendError(reply: FastifyReply, error: unknown, logger: ExecutorLogger): FastifyReply {
  if (error instanceof ExecutorError) return reply.code(error.status).send(error.toBody());
  logger.error({ err: (error as Error).message }, 'executor request failed');
  const wrapped = new ExecutorError('MINT_FAILED', `the executor could not complete the request: ${(error as Error).message}`);
  return reply.code(wrapped.status).send(wrapped.toBody());
}

export function createExecutorHttpServer(deps: ExecutorHttpDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    // An AdmissionReview carries the object and the old object (a ConfigMap may be 1 MiB each).
    bodyLimit: 8 * 1024 * 1024,
    ...(deps.tls ? { https: { cert: deps.tls.certPem, key: deps.tls.keyPem } } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  const auth = createCallerAuth({ engine: deps.callerToken, dryRun: deps.dryRunToken, admission: deps.admissionToken });
  /** An onRequest hook letting only `caller`'s token through. */
  const only = (caller: Caller) => async (request: { headers: { authorization?: string } }, reply: FastifyReply) => {
    const refused = auth.check(request.headers.authorization, caller);
    if (refused) return reply.code(refused.status).send({ code: 'UNAUTHORIZED', message: refused.message });
  };

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: 'no such executor endpoint' }));
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return reply.code(400).send({ code: 'INVALID', message: (error as Error).message });
    return sendError(reply, error, deps.logger);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.register(async (engine) => {
    engine.addHook('onRequest', only('engine'));

    engine.post('/v1/approvals', async (request, reply) => {
      const parsed = skyfloApprovalDocumentSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply.code(400).send({ code: 'INVALID', message: `not a SkyfloApproval document: ${issue?.path.join('.') || 'body'}: ${issue?.message}` });
      }
      try {
        await deps.verifier.verify(parsed.data);
        const { created } = await deps.store.mirror(parsed.data);
        deps.logger.info({ approval: parsed.data.name, decision: parsed.data.status.decision, created }, 'approval mirrored');
        return reply.code(created ? 201 : 200).send({ name: parsed.data.name, namespace: deps.namespace, created });
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });

    engine.post<{ Params: { name: string } }>('/v1/approvals/:name/credential', async (request, reply) => {
      const { name } = request.params;
      try {
        if (!namePattern.test(name)) throw new ExecutorError('INVALID', `"${name}" is not a SkyfloApproval name`);
        const call = approvalCredentialRequestSchema.safeParse(request.body ?? {});
        if (!call.success) {
          const issue = call.error.issues[0];
          throw new ExecutorError('INVALID', `not a credential request: ${issue?.path.join('.') || 'body'}: ${issue?.message} (send {"arguments": <the call's exact arguments>})`);
        }
        // Issue 76: while the cluster's emergency stop is on, nothing is minted, whatever the engine says
        await deps.emergencyStop?.check();
        const stored = await deps.store.read(name);
        if (!stored) throw new ExecutorError('NOT_FOUND', `SkyfloApproval "${name}" does not exist in namespace ${deps.namespace}; send the decision to POST /v1/approvals first`);
        if (!stored.document) throw new ExecutorError('BAD_SIGNATURE', `SkyfloApproval "${name}" is not a signed approval (${stored.problem}); nothing is minted for it`);
        // Signature first: an unsigned object's claims (decision, expiry) mean nothing.
        await deps.verifier.verify(stored.document);
        const now = deps.now();
        const expiresAt = checkUsable(stored.document, now, stored.releasedAt);
        // one approval mints once: a second request is refused before anything is computed (the first token lives on)
        if (stored.grant !== undefined) throw new ExecutorError('ALREADY_MINTED', `SkyfloApproval "${name}" already had its credential minted (at ${stored.grantedAt ?? 'an earlier request'}); one approval mints once — ask for the change again`);
        // Issue 73: the name, the cluster and the arguments are the signed ones; what they write is computed here.
        checkBinding(stored.document, call.data.arguments, deps.clusterName);
        const grantKube = recordDryRuns(deps.kube);
        const { access, reads } = await computeGrant({ tool: stored.document.spec.tool, diffHash: stored.document.spec.diffHash, request: call.data }, grantKube.kube, deps.helmRenders);
        // An automatic revert is minted for only because a human approved its change with automatic revert.
        await checkRevertBinding(stored.document, access, deps);
        // Issue 76: the cluster's own SkyfloPolicy and SkyfloFreeze objects, judged again on what this grant writes.
        const demands = await deps.policyCheck?.check({ document: stored.document, args: call.data.arguments, access, dryRuns: grantKube.dryRuns, now });
        // The approver's own passkey proof, when this executor requires one (issue 35): the engine's word is not enough.
        await deps.approverSignature.check(stored.document, access, now, demands);
        await deps.store.recordGrant(stored, access, now);
        const credential = await deps.minter.mint(stored.document, access, expiresAt, reads);
        deps.logger.info({ approval: name, tool: stored.document.spec.tool, writes: access.map((entry) => `${entry.verbs.join('/')} ${entry.resource}${entry.subresource ? `/${entry.subresource}` : ''} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`) }, 'granted what the approved call writes');
        return reply.code(200).send(credential);
      } catch (error) {
        if (error instanceof ExecutorError) deps.logger.warn({ approval: name, code: error.code, reason: error.message }, 'no credential minted');
        return sendError(reply, error, deps.logger);
      }
    });

    // Issue 76: the engine's emergency stop, announced when engaged or lifted and re-announced on a beat
    // (emergency-stop.ts). Only the engine's token: the MCP server's or none cannot switch it either way.
    engine.put('/v1/emergency-stop', async (request, reply) => {
      const parsed = engineStopSchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply.code(400).send({ code: 'INVALID', message: `not an emergency stop: ${issue?.path.join('.') || 'body'}: ${issue?.message} (send {"active": true, "reason", "by", "since"} or {"active": false})` });
      }
      if (!deps.emergencyStop) return reply.code(404).send({ code: 'NOT_FOUND', message: 'this executor holds no emergency stop' });
      const { active, reason, by, since } = parsed.data;
      deps.emergencyStop.fromEngine(active ? { reason: reason ?? '', by: by ?? 'the engine', since: since ?? new Date().toISOString() } : undefined);
      return reply.code(200).send({ active });
    });

    // Issue 35: the approver key registry. The engine mirrors each passkey registration and removal here; each key is
    // an immutable SkyfloApproverKey object, logged (the cluster's audit log records the create/delete too).
    engine.post('/v1/approver-keys', async (request, reply) => {
      const parsed = approverKeySchema.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply.code(400).send({ code: 'INVALID', message: `not an approver key: ${issue?.path.join('.') || 'body'}: ${issue?.message}` });
      }
      try {
        const { created } = await deps.approverKeys.register(parsed.data);
        deps.logger.info({ credentialId: parsed.data.credentialId, userId: parsed.data.userId, email: parsed.data.email, created }, 'approver key registered');
        return reply.code(created ? 201 : 200).send({ credentialId: parsed.data.credentialId, userId: parsed.data.userId, created });
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });

    // What the executor holds, so the engine can take off keys a failed removal left here (its stray key sweep).
    engine.get('/v1/approver-keys', async (_request, reply) => {
      try {
        return reply.code(200).send({ keys: await deps.approverKeys.list() });
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });

    engine.delete<{ Params: { credentialId: string } }>('/v1/approver-keys/:credentialId', async (request, reply) => {
      const { credentialId } = request.params;
      try {
        if (!/^[A-Za-z0-9_-]{1,1024}$/.test(credentialId)) throw new ExecutorError('INVALID', `"${credentialId}" is not a base64url credential id`);
        const removed = await deps.approverKeys.remove(credentialId);
        deps.logger.info({ credentialId, removed }, 'approver key removed');
        return reply.code(204).send();
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });

    engine.delete<{ Params: { name: string } }>('/v1/approvals/:name/credential', async (request, reply) => {
      const { name } = request.params;
      try {
        if (!namePattern.test(name)) throw new ExecutorError('INVALID', `"${name}" is not a SkyfloApproval name`);
        const stored = await deps.store.read(name);
        await deps.minter.release(name, stored?.grant);
        if (stored) await deps.store.markReleased(name, deps.now());
        deps.logger.info({ approval: name }, 'credential released');
        return reply.code(204).send();
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });
  });

  // The MCP server's previews' server-side dry-runs (dry-run-proxy.ts): its own token, nothing else opens this.
  app.register(async (mcp) => {
    mcp.addHook('onRequest', only('dry-run'));
    mcp.post('/v1/dry-run', async (request, reply) => {
      const parsed = dryRunRequestSchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ code: 'INVALID', message: `not a dry-run request: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message}` });
      try {
        const answer = await deps.dryRun.handle(parsed.data);
        // Method and path only: the body may hold anything the caller previews.
        if (answer.status >= 400) deps.logger.info({ method: parsed.data.method, path: parsed.data.path, status: answer.status }, 'dry-run refused');
        return reply.code(answer.status).send(answer.body);
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });
    // Its Helm previews (issue 73 item 6): rendered with the executor's identity, which may read the release's storage
    // Secrets; the answer holds no Secret value. The MCP server's token only: the engine never previews.
    mcp.post('/v1/helm/render', async (request, reply) => {
      const parsed = helmRenderRequestSchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ code: 'INVALID', message: `not a Helm render request: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message} (send {"release", "namespace", "chart": {"archive": <base64 .tgz>}?, "values"?, "reuse_values"?, "to_revision"?})` });
      try {
        const answer = await deps.helmRenderer.render(parsed.data);
        deps.logger.info({ release: parsed.data.release, namespace: parsed.data.namespace, exists: answer.exists, manifestDigest: answer.manifest_digest }, 'helm preview rendered');
        return reply.code(200).send(answer);
      } catch (error) {
        if (error instanceof ExecutorError) deps.logger.info({ release: parsed.data.release, namespace: parsed.data.namespace, code: error.code }, 'helm preview refused');
        return sendError(reply, error, deps.logger);
      }
    });
  });

  // The API server's questions: with an admission token configured, only it is answered (anything else is 401, which
  // the API server's failurePolicy Fail turns into a refused write); without one, anyone is, with refusals that say
  // nothing about approvals (admission-refusal.ts).
  app.register(async (apiServer) => {
    if (auth.hasAdmission) apiServer.addHook('onRequest', only('admission'));
    apiServer.post(approvalWebhookPath, async (request, reply) => {
      const review = request.body as { apiVersion?: string; kind?: string; request?: AdmissionRequest } | undefined;
      if (!review?.request?.uid) return reply.code(400).send({ code: 'INVALID', message: 'not an admission.k8s.io/v1 AdmissionReview' });
      const verdict = await reviewAdmission(review.request, { namespace: deps.namespace, store: deps.store, verifier: deps.verifier, now: deps.now });
      if (!verdict.allowed) deps.logger.warn({ uid: review.request.uid, user: review.request.userInfo?.username, operation: review.request.operation, reason: verdict.message }, 'admission denied');
      const message = refusalMessage(review.request, verdict, { authenticated: auth.hasAdmission, namespace: deps.namespace });
      return reply.send({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: review.request.uid, allowed: verdict.allowed, ...(verdict.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message } }) },
      });
    });
  });

  return app;
}
