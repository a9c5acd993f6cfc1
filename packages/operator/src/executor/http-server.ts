/**
 * The executor's HTTP API (Fastify). The engine calls /v1/approvals* with the bearer token it shares with this
 * executor; the API server calls /v1/admission (no bearer: in a cluster it reaches the webhook over TLS through the
 * Service, and the answer only ever narrows what an approval account may do).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { approverKeySchema, skyfloApprovalDocumentSchema } from '@skyflo/protocol';
import { reviewAdmission, type AdmissionRequest } from './admission.ts';
import type { ApprovalStore } from './approval-store.ts';
import type { ApproverKeyStore } from './approver-keys.ts';
import type { ApproverSignatureChecker } from './approver-signature.ts';
import { ExecutorError, type ExecutorLogger } from './executor-options.ts';
import type { CredentialMinter } from './mint-credential.ts';
import { dryRunRequestSchema, type DryRunProxy } from './dry-run-proxy.ts';
import { approvalWebhookPath } from './webhook-configuration.ts';
import { checkUsable, type ApprovalVerifier } from './verify-approval.ts';
import { checkRevertBinding } from './revert-binding.ts';

export interface ExecutorHttpDeps {
  namespace: string;
  callerToken: string;
  store: ApprovalStore;
  verifier: ApprovalVerifier;
  minter: CredentialMinter;
  approverKeys: ApproverKeyStore;
  approverSignature: ApproverSignatureChecker;
  now: () => Date;
  logger: ExecutorLogger;
  tls?: { certPem: string; keyPem: string };
  dryRun: DryRunProxy;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
  const expected = digest(deps.callerToken);

  function authorised(header: string | undefined): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
    // Compare digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
    return !!match && timingSafeEqual(digest(match[1]!.trim()), expected);
  }

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: 'no such executor endpoint' }));
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return reply.code(400).send({ code: 'INVALID', message: (error as Error).message });
    return sendError(reply, error, deps.logger);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.register(async (engine) => {
    engine.addHook('onRequest', async (request, reply) => {
      if (!authorised(request.headers.authorization)) {
        return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'the executor API needs the engine bearer token (SKYFLO_EXECUTOR_TOKEN)' });
      }
    });

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
        const stored = await deps.store.read(name);
        if (!stored) throw new ExecutorError('NOT_FOUND', `SkyfloApproval "${name}" does not exist in namespace ${deps.namespace}; send the decision to POST /v1/approvals first`);
        if (!stored.document) throw new ExecutorError('BAD_SIGNATURE', `SkyfloApproval "${name}" is not a signed approval (${stored.problem}); nothing is minted for it`);
        // Signature first: an unsigned object's claims (decision, expiry) mean nothing.
        await deps.verifier.verify(stored.document);
        const expiresAt = checkUsable(stored.document, deps.now(), stored.releasedAt);
        // An automatic revert is minted for only because a human approved its change with automatic revert.
        await checkRevertBinding(stored.document, deps);
        // The approver's own passkey proof, when this executor requires one (issue 35): the engine's word is not enough.
        await deps.approverSignature.check(stored.document);
        const credential = await deps.minter.mint(stored.document, expiresAt);
        return reply.code(200).send(credential);
      } catch (error) {
        if (error instanceof ExecutorError) deps.logger.warn({ approval: name, code: error.code, reason: error.message }, 'no credential minted');
        return sendError(reply, error, deps.logger);
      }
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
        await deps.minter.release(name, stored?.document?.spec.access);
        if (stored) await deps.store.markReleased(name, deps.now());
        deps.logger.info({ approval: name }, 'credential released');
        return reply.code(204).send();
      } catch (error) {
        return sendError(reply, error, deps.logger);
      }
    });

    // Previews' server-side dry-runs (dry-run-proxy.ts): forced dryRun=All, no Secrets, allowed namespaces only.
    engine.post('/v1/dry-run', async (request, reply) => {
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
  });

  app.post(approvalWebhookPath, async (request, reply) => {
    const review = request.body as { apiVersion?: string; kind?: string; request?: AdmissionRequest } | undefined;
    if (!review?.request?.uid) return reply.code(400).send({ code: 'INVALID', message: 'not an admission.k8s.io/v1 AdmissionReview' });
    const verdict = await reviewAdmission(review.request, { namespace: deps.namespace, store: deps.store, verifier: deps.verifier, now: deps.now });
    if (!verdict.allowed) deps.logger.warn({ user: review.request.userInfo?.username, operation: review.request.operation, reason: verdict.message }, 'admission denied');
    return reply.send({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: verdict.allowed, ...(verdict.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: verdict.message } }) },
    });
  });

  return app;
}
