/**
 * The audit chain's head, signed, and a check against one published earlier (admins):
 *   GET  /audit/head → {sequence, hash, at, signed_head, public_key}: keep signed_head outside Skyflo
 *   POST /audit/verify {signed_head} → the verify report plus `rewritten`: true when the chain no longer holds that
 *       head at that sequence (a rewrite that recomputed every hash, even by the table's owner, is caught)
 * Mounted by create-engine (it owns the signing key).
 */
import { auditVerifySignedHeadRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { AuditHeadPublisher } from '../../../audit/chain-head-publisher.ts';
import { SignedHeadError, type AuditHeadSigner } from '../../../crypto/audit-signing-key.ts';
import type { AuditTrail } from '../../../ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { requireAdmin, toVerifyResponse } from './index.ts';

export interface AuditHeadRouteDeps {
  audit: Pick<AuditTrail, 'verify'>;
  heads: Pick<AuditHeadPublisher, 'current'>;
  signer: AuditHeadSigner;
}

export const auditHeadRoutes: FastifyPluginAsync<AuditHeadRouteDeps> = async (app, { audit, heads, signer }) => {
  app.get('/audit/head', async (request) => {
    requireAdmin(request);
    const [signed, publicKey] = await Promise.all([heads.current(), signer.publicJwk()]);
    return {
      sequence: signed?.head.sequence ?? null,
      hash: signed?.head.hash ?? null,
      at: signed?.head.at ?? new Date().toISOString(),
      signed_head: signed?.signedHead ?? null,
      public_key: publicKey,
    };
  });

  app.post('/audit/verify', async (request) => {
    requireAdmin(request);
    const body = parseInput(auditVerifySignedHeadRequestSchema, request.body, 'body');
    let head;
    try {
      head = await signer.open(body.signed_head);
    } catch (error) {
      if (error instanceof SignedHeadError) throw new HttpError(400, `signed_head: ${error.message}`, 'INVALID_INPUT');
      throw error;
    }
    const report = await audit.verify({ sequence: head.sequence, hash: head.hash });
    return { ...toVerifyResponse(report), signed_head: head, rewritten: report.anchorFound !== true };
  });
};
