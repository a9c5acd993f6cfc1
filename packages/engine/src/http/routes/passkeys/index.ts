/**
 * Passkeys (issue 35). A signed-in person (never an API token: api-token-scopes.ts lists none of these) manages their own:
 *   GET    /auth/passkeys                       → {data: Passkey[]}
 *   POST   /auth/passkeys/registration-options  → {options, registration_token}   (a sign-in within 5 minutes)
 *   POST   /auth/passkeys  {name, registration_token, response} → 201 Passkey (audited, announced to the other admins)
 *   DELETE /auth/passkeys/:id                   → 204
 * Approving with one:
 *   POST   /approvals/:call_id/passkey-options {conversation_id} → {options, expires_at}: the challenge is the call's facts
 * When one is needed, per cluster (admin):
 *   GET/PUT /clusters/passkey-policies
 * Refusals answer {detail, code}.
 */
import { approvalPasskeyOptionsRequestSchema, clusterPasskeyPoliciesSchema, registerPasskeyRequestSchema, type ClusterPasskeyPolicyView, type ClusterStatus } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApprovalStore, AuthenticatedUser, PlatformStorage } from '../../../platform/ports/index.ts';
import { PasskeyError } from '../../../domain/passkeys/passkey-error.ts';
import { defaultPasskeyMode, passkeyPoliciesKey, type PasskeyPolicies } from '../../../domain/passkeys/passkey-policy.ts';
import type { PasskeyService } from '../../../domain/passkeys/passkey-service.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface PasskeyRouteDeps {
  passkeys: PasskeyService;
  policies: PasskeyPolicies;
  approvals: ApprovalStore;
  /** the conversation's owner, to hide calls of conversations the caller may not see */
  mayDecide: (user: AuthenticatedUser, record: { conversationId: string; callId: string }) => Promise<boolean>;
  /** the clusters configured now (for the policy view); throws while the MCP server loads */
  clusters: () => Promise<ReadonlyArray<Pick<ClusterStatus, 'name' | 'label'>>>;
  atomically: PlatformStorage['atomically'];
}

const idParamsSchema = z.object({ id: z.uuid('id must be a passkey id (UUID)') });

const refused = (reply: FastifyReply, error: unknown) => {
  if (error instanceof PasskeyError) return reply.code(error.statusCode).send({ detail: error.message, code: error.code });
  throw error;
};

export const passkeyRoutes: FastifyPluginAsync<PasskeyRouteDeps> = async (app, deps) => {
  app.get('/auth/passkeys', async (request) => ({ data: await deps.passkeys.list(request.user) }));

  app.post('/auth/passkeys/registration-options', async (request, reply) => {
    try {
      return reply.header('cache-control', 'no-store').send(await deps.passkeys.registrationOptions(request.user, request.apiToken !== undefined));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post('/auth/passkeys', async (request, reply) => {
    const input = parseInput(registerPasskeyRequestSchema, request.body);
    try {
      return reply.code(201).send(await deps.passkeys.register(request.user, request.apiToken !== undefined, input, request.ip));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.delete('/auth/passkeys/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      await deps.passkeys.remove(request.user, id, request.ip);
      return reply.code(204).send();
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post<{ Params: { call_id: string } }>('/approvals/:call_id/passkey-options', async (request, reply) => {
    const { conversation_id: conversationId } = parseInput(approvalPasskeyOptionsRequestSchema, request.body ?? {});
    const record = await deps.approvals.get(conversationId, request.params.call_id);
    // a call the caller may not decide is reported missing (ids cannot be probed)
    if (!record || record.status !== 'awaiting' || !(await deps.mayDecide(request.user, record))) {
      return reply.code(404).send({ detail: `No tool call ${request.params.call_id} is waiting for your approval in this conversation.`, code: 'APPROVAL_NOT_FOUND' });
    }
    try {
      return reply.header('cache-control', 'no-store').send(await deps.passkeys.approvalOptions(request.user, record));
    } catch (error) {
      return refused(reply, error);
    }
  });

  const policyView = async (): Promise<ClusterPasskeyPolicyView> => {
    const stored = await deps.policies.list();
    const clusters = await deps.clusters().catch(() => []);
    const names = new Set([...clusters.map((cluster) => cluster.name), ...stored.map((entry) => entry.cluster)]);
    return {
      policies: [...names].map((name) => {
        const label = clusters.find((cluster) => cluster.name === name)?.label;
        const entry = stored.find((item) => item.cluster === name);
        return { cluster: name, mode: entry?.mode ?? defaultPasskeyMode(label), ...(label ? { label } : {}), source: entry ? ('setting' as const) : ('default' as const) };
      }),
    };
  };

  app.get('/clusters/passkey-policies', async () => policyView());

  app.put('/clusters/passkey-policies', async (request, reply) => {
    if (request.user.role !== 'admin') return reply.code(403).send({ detail: 'Only admins can change when approvals need a passkey', code: 'FORBIDDEN' });
    const { policies } = parseInput(clusterPasskeyPoliciesSchema, request.body);
    const before = await deps.policies.list();
    // the setting and its audit record commit together
    await deps.atomically(async (stores) => {
      await stores.settings.put(passkeyPoliciesKey, { policies });
      await stores.audit.record({ actorId: request.user.id, action: 'clusters.passkey_policies_changed', subjectType: 'settings', subjectId: passkeyPoliciesKey, details: { policies, previous: before }, ip: request.ip });
    });
    return policyView();
  });
};
