/**
 * The audit chain's checks and its signed head (admins):
 *   GET  /audit/head → {sequence, hash, at, signed_head, public_key}: keep signed_head outside Skyflo
 *   GET  /audit/verify[?anchor_sequence&anchor_hash | ?signed_head] → re-walks the hash chain and reports the first
 *       broken link; with an anchor (head_sequence and head_hash of an earlier verify, kept outside the database) it
 *       also checks that the chain still contains that record unchanged
 *   POST /audit/verify {signed_head} (or GET with ?signed_head, the same check and the same answer) → the verify
 *       report plus the head checked (`signed_head`) and `rewritten`: true when the chain no longer holds that head at
 *       that sequence (a rewrite that recomputed every hash, even by the table's owner, is caught)
 * Issue 79: a verify of a large trail takes minutes. It never holds the engine (the walk yields between short slices,
 * storage/audit-log.ts); with `Accept: application/x-ndjson` the answer streams a progress line every
 * `progress_every` records, each with a signed checkpoint, then the report; `resume=<checkpoint>` goes on from one
 * (after a broken connection, a restart), checking only the records after it. A checkpoint is signed with the audit
 * key, so none can be made up; a resumed verify keeps the anchor (or signed head) of the one that handed it out.
 * Mounted by create-engine (it owns the signing key).
 */
import { auditVerifyQuerySchema, auditVerifySignedHeadRequestSchema } from '@skyflo/protocol';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditHeadPublisher } from '../../../domain/audit/chain-head-publisher.ts';
import { SignedHeadError, type AuditHeadSigner } from '../../../platform/crypto/audit-signing-key.ts';
import type { AuditChainReport, AuditTrail, AuditVerifyCheckpoint } from '../../../platform/ports/index.ts';
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

  /** The checkpoint `resume` names, or 400 saying why it is none of ours. */
  async function checkpointOf(resume: string | undefined): Promise<AuditVerifyCheckpoint | undefined> {
    if (resume === undefined) return undefined;
    try {
      return await signer.openCheckpoint(resume);
    } catch (error) {
      if (error instanceof SignedHeadError) throw new HttpError(400, error.message, 'INVALID_INPUT');
      throw error;
    }
  }

  /**
   * Runs one verify and answers it: as one JSON report, or (Accept: application/x-ndjson) as progress lines and then
   * the report. `answer` turns the report into what the route answers. A resumed verify keeps its checkpoint's anchor.
   */
  async function verification(
    request: FastifyRequest,
    reply: FastifyReply,
    input: { anchor?: { sequence: number; hash: string } | undefined; resume?: string | undefined; progressEvery?: number | undefined; answer(report: AuditChainReport): Record<string, unknown> },
  ) {
    const from = await checkpointOf(input.resume);
    if (from && input.anchor && (from.anchor?.sequence !== input.anchor.sequence || from.anchor?.hash !== input.anchor.hash)) {
      throw new HttpError(400, 'resume: this checkpoint belongs to a verify against another anchor (or signed head); resume it with the same one, or start a new verify', 'INVALID_INPUT');
    }
    const anchor = from ? from.anchor : input.anchor;
    const streamed = /application\/x-ndjson/i.test(request.headers.accept ?? '');
    if (!streamed) return input.answer(await audit.verify(anchor, from ? { from } : {}));

    const lines = new PassThrough();
    const stopped = new AbortController();
    // the caller went away: the verify stops at its next slice (its last checkpoint is what it resumes from)
    request.raw.once('close', () => stopped.abort());
    reply.raw.once('close', () => stopped.abort());
    const write = async (line: unknown) => {
      if (!lines.write(`${JSON.stringify(line)}\n`)) await Promise.race([once(lines, 'drain'), once(lines, 'close')]);
    };
    void (async () => {
      try {
        const report = await audit.verify(anchor, {
          ...(from ? { from } : {}),
          ...(input.progressEvery ? { progressEvery: input.progressEvery } : {}),
          signal: stopped.signal,
          onProgress: async ({ checkpoint, headSequence }) => {
            await write({ type: 'progress', records_checked: checkpoint.checked, position: checkpoint.position, sequence: checkpoint.sequence, head_sequence: headSequence, checkpoint: await signer.signCheckpoint(checkpoint) });
          },
        });
        lines.end(`${JSON.stringify({ type: 'report', ...input.answer(report) })}\n`);
      } catch (error) {
        if (stopped.signal.aborted) return void lines.destroy();
        request.log.error({ err: error }, 'audit verify failed');
        lines.end(`${JSON.stringify({ type: 'error', detail: 'the verify stopped on an error (see the engine log); resume it from the last checkpoint' })}\n`);
      }
    })();
    return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(lines);
  }

  /** One check against a signed head, for both spellings of the request (POST body, GET query). */
  async function verifySignedHead(request: FastifyRequest, reply: FastifyReply, input: unknown, where: 'body' | 'query') {
    const body = parseInput(auditVerifySignedHeadRequestSchema, input, where);
    let head;
    try {
      head = await signer.open(body.signed_head);
    } catch (error) {
      if (error instanceof SignedHeadError) throw new HttpError(400, `signed_head: ${error.message}`, 'INVALID_INPUT');
      throw error;
    }
    return verification(request, reply, {
      anchor: { sequence: head.sequence, hash: head.hash },
      resume: body.resume,
      progressEvery: body.progress_every,
      answer: (report) => ({ ...toVerifyResponse(report), signed_head: head, rewritten: report.anchorFound !== true }),
    });
  }

  app.get('/audit/verify', async (request, reply) => {
    requireAdmin(request);
    const { signed_head: signedHead, ...rest } = (request.query ?? {}) as Record<string, unknown>;
    if (signedHead !== undefined) {
      if (rest['anchor_sequence'] !== undefined || rest['anchor_hash'] !== undefined) throw new HttpError(400, 'signed_head: give either signed_head or anchor_sequence and anchor_hash, not both', 'INVALID_INPUT');
      return verifySignedHead(request, reply, { signed_head: signedHead, ...(rest['resume'] !== undefined ? { resume: rest['resume'] } : {}), ...(rest['progress_every'] !== undefined ? { progress_every: rest['progress_every'] } : {}) }, 'query');
    }
    const query = parseInput(auditVerifyQuerySchema, rest, 'query');
    return verification(request, reply, {
      anchor: query.anchor_sequence !== undefined && query.anchor_hash !== undefined ? { sequence: query.anchor_sequence, hash: query.anchor_hash } : undefined,
      resume: query.resume,
      progressEvery: query.progress_every,
      answer: toVerifyResponse,
    });
  });

  app.post('/audit/verify', async (request, reply) => {
    requireAdmin(request);
    return verifySignedHead(request, reply, request.body, 'body');
  });
};
