/**
 * The audit trail (admins only; spec §4 has none, issue 8 asks for one):
 *   GET /audit?user_id&conversation_id&tool&action&from&to&cursor&limit → {data: AuditRecord[], pagination}
 *       newest first; `action` may end with `*` for a prefix ("auth.*"); `to` is exclusive; each record also carries
 *       conversation_title and, on approval records, approved_diff (record-context.ts)
 *   GET /audit/export?format=jsonl|csv&<same filters> → every matching record, oldest first, streamed in batches
 *   GET /audit/verify, GET /audit/head, POST /audit/verify: the chain checks and the signed head (head.ts, mounted by
 *       create-engine, which owns the signing key)
 */
import { Readable } from 'node:stream';
import { auditExportQuerySchema, auditQuerySchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { csvHeader, toAuditRecord, toCsvLine, toJsonLine } from '../../../domain/audit/audit-record-view.ts';
import type { AuditChainReport, AuditFilter, AuditTrail, ConversationStore, UserStore } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { auditRecordContext } from './record-context.ts';

export interface AuditRouteDeps {
  audit: AuditTrail;
  /** names the actors (actor_email); removed members included */
  users?: Pick<UserStore, 'list'>;
  /** names the conversations (conversation_title) */
  conversations?: Pick<ConversationStore, 'get'>;
  /** records per database round trip while exporting (memory stays one batch) */
  exportBatchSize?: number;
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.user.role !== 'admin') throw new HttpError(403, 'Only admins can read the audit trail', 'FORBIDDEN');
}

function filterOf(query: Omit<z.output<typeof auditExportQuerySchema>, 'format'>): AuditFilter {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from.getTime() >= to.getTime()) throw new HttpError(400, 'from: from must be before to', 'INVALID_INPUT');
  return {
    ...(query.user_id ? { actorId: query.user_id } : {}),
    ...(query.conversation_id ? { conversationId: query.conversation_id } : {}),
    ...(query.tool ? { tool: query.tool } : {}),
    ...(query.action ? { action: query.action } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** The verify report as the API answers it (GET and POST /audit/verify). */
export function toVerifyResponse(report: AuditChainReport) {
  return {
    ok: report.ok,
    records_checked: report.recordsChecked,
    legacy_records: report.legacyRecords,
    head_hash: report.headHash,
    head_sequence: report.headSequence,
    ...(report.anchorFound !== undefined ? { anchor_found: report.anchorFound } : {}),
    ...(report.brokenAt ? { broken_at: { position: report.brokenAt.position, sequence: report.brokenAt.sequence, id: report.brokenAt.id, reason: report.brokenAt.reason } } : {}),
    signatures_checked: report.signaturesChecked,
    signed_records: report.signedRecords,
    ...(report.unsignedCount > 0 ? { not_written_by_engine: { count: report.unsignedCount, records: report.unsigned } } : {}),
  };
}

export const auditRoutes: FastifyPluginAsync<AuditRouteDeps> = async (app, { audit, users, conversations, exportBatchSize = 500 }) => {
  // Teams are small (tens of accounts): one read per request beats a join on every page of a large trail.
  const emails = async (): Promise<Map<string, string> | undefined> =>
    users ? new Map((await users.list({ includeInactive: true })).map((user) => [user.id, user.email])) : undefined;

  app.get('/audit', async (request) => {
    requireAdmin(request);
    const query = parseInput(auditQuerySchema, request.query, 'query');
    const [page, names] = await Promise.all([audit.page({ ...filterOf(query), limit: query.limit, ...(query.cursor ? { beforeSequence: Number(query.cursor) } : {}) }), emails()]);
    const context = await auditRecordContext(page.items, { audit, ...(conversations ? { conversations } : {}) });
    return {
      data: page.items.map((event) => toAuditRecord(event, names, context)),
      pagination: { limit: query.limit, next_cursor: page.nextCursor === null ? null : String(page.nextCursor), has_more: page.nextCursor !== null },
    };
  });

  app.get('/audit/export', async (request, reply) => {
    requireAdmin(request);
    const query = parseInput(auditExportQuerySchema, request.query, 'query');
    const filter = filterOf(query);
    // Who took a copy of the trail is itself part of the trail.
    await audit.record({ actorId: request.user.id, action: 'audit.exported', details: { format: query.format, filter: { ...query, format: undefined } }, ip: request.ip });
    const format = query.format;
    const names = await emails();
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield csvHeader;
      for await (const event of audit.scan({ ...filter, batchSize: exportBatchSize })) {
        const record = toAuditRecord(event, names);
        yield format === 'csv' ? toCsvLine(record) : toJsonLine(record);
      }
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="skyflo-audit-${stamp}.${format}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(lines(), { objectMode: false }));
  });

};
