/**
 * The audit chain's checks and its signed head (admins):
 *   GET  /audit/head → {sequence, hash, at, signed_head, public_key}: keep signed_head outside Skyflo
 *   GET  /audit/verify[?anchor_sequence&anchor_hash | ?signed_head] → re-walks the hash chain and reports the first
 *       broken link; with an anchor (head_sequence and head_hash of an earlier verify, kept outside the database) it
 *       also checks that the chain still contains that record unchanged
 *   POST /audit/verify {signed_head} (or GET with ?signed_head, the same check and the same answer) → the verify
 *       report plus the head checked (`signed_head`) and `rewritten`: true when the chain no longer holds that head at
 *       that sequence (a rewrite that recomputed every hash, even by the table's owner, is caught)
 * Mounted by create-engine (it owns the signing key).
 */
import { auditVerifyQuerySchema, auditVerifySignedHeadRequestSchema } from '@skyflo/protocol';
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

  /** One check against a signed head, for both spellings of the request (POST body, GET query). */
  async function verifySignedHead(input: unknown, where: 'body' | 'query') {
    const body = parseInput(auditVerifySignedHeadRequestSchema, input, where);
    let head;
    try {
      head = await signer.open(body.signed_head);
    } catch (error) {
      if (error instanceof SignedHeadError) throw new HttpError(400, `signed_head: ${error.message}`, 'INVALID_INPUT');
      throw error;
    }
    const report = await audit.verify({ sequence: head.sequence, hash: head.hash });
    return { ...toVerifyResponse(report), signed_head: head, rewritten: report.anchorFound !== true };
  }

  app.get('/audit/verify', async (request) => {
    requireAdmin(request);
    const { signed_head: signedHead, ...rest } = (request.query ?? {}) as Record<string, unknown>;
    if (signedHead !== undefined) {
      if (rest['anchor_sequence'] !== undefined || rest['anchor_hash'] !== undefined) throw new HttpError(400, 'signed_head: give either signed_head or anchor_sequence and anchor_hash, not both', 'INVALID_INPUT');
      return verifySignedHead({ signed_head: signedHead }, 'query');
    }
    const query = parseInput(auditVerifyQuerySchema, rest, 'query');
    const report = await audit.verify(query.anchor_sequence !== undefined && query.anchor_hash !== undefined ? { sequence: query.anchor_sequence, hash: query.anchor_hash } : undefined);
    return toVerifyResponse(report);
  });

  app.post('/audit/verify', async (request) => {
    requireAdmin(request);
    return verifySignedHead(request.body, 'body');
  });
};
