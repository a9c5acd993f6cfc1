/**
 * How a stored audit record is shown by the API and written by the exports (protocol auditRecordSchema): snake_case
 * fields, ISO times, and CSV cells that spreadsheets cannot mistake for formulas.
 */
import { auditCsvColumns, type AuditRecord } from '@skyflo/protocol';
import type { StoredAuditEvent } from '../../platform/ports/index.ts';

/** For the reader's convenience (none of it is covered by the hash chain); GET /audit fills it (routes/audit/record-context). */
export interface AuditReaderContext {
  conversationTitles: ReadonlyMap<string, string | null>;
  approvedDiffs: ReadonlyMap<string, string | null>;
}

/** `emails`: actor id → email; `context`: conversation titles and approved diffs (GET /audit only, not the exports). */
export function toAuditRecord(event: StoredAuditEvent, emails?: ReadonlyMap<string, string>, context?: AuditReaderContext): AuditRecord {
  const fromDetails = event.details['conversation_id'];
  const conversationId = event.conversationId ?? (typeof fromDetails === 'string' ? fromDetails : undefined);
  return {
    id: event.id,
    sequence: event.sequence,
    at: event.at.toISOString(),
    actor_id: event.actorId ?? null,
    ...(emails ? { actor_email: event.actorId ? (emails.get(event.actorId) ?? null) : null } : {}),
    action: event.action,
    conversation_id: event.conversationId ?? null,
    tool: event.tool ?? null,
    subject_type: event.subjectType ?? null,
    subject_id: event.subjectId ?? null,
    details: event.details,
    ip: event.ip ?? null,
    prev_hash: event.prevHash,
    hash: event.hash,
    ...(context ? { conversation_title: conversationId ? (context.conversationTitles.get(conversationId) ?? null) : null } : {}),
    ...(context && context.approvedDiffs.has(event.id) ? { approved_diff: context.approvedDiffs.get(event.id) ?? null } : {}),
  };
}

/**
 * One CSV cell (RFC 4180 quoting). Why the leading apostrophe: a cell starting with = + - @ (or a tab/CR) is run as a
 * formula by spreadsheet programs, and audit fields such as a chat text are chosen by users.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = `${auditCsvColumns.join(',')}\r\n`;

export function toCsvLine(record: AuditRecord): string {
  return `${auditCsvColumns.map((column) => csvCell(record[column])).join(',')}\r\n`;
}

export const toJsonLine = (record: AuditRecord): string => `${JSON.stringify(record)}\n`;
