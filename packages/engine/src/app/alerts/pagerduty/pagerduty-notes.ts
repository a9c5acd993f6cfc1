/**
 * An investigation of a PagerDuty incident posts its conclusion back to the incident as a note (issue 39), so the
 * responder reads it where they already are. A team-event sink: it sees `alert.investigated` after the dispatcher
 * redacted its free text, redacts again (defence in depth: the conclusion is model-written) and never throws — a
 * refused or failed note is logged and audited, the investigation itself is unaffected.
 *
 * PagerDuty's REST API: `POST {api}/incidents/{id}/notes` with `Authorization: Token token=<api key>` and the
 * `From` header naming a PagerDuty user (required for account-level keys), body `{"note": {"content": "…"}}`.
 */
import { redactText } from '@skyflo/safety';
import type { TeamEvent, TeamEventSink } from '../../team-events/team-event.ts';
import type { AuditLog, ConversationStore } from '../../../platform/ports/index.ts';
import { incidentIdOfGroupKey } from './pagerduty-webhook.ts';
import { readCappedText, smallAnswerMaxBytes } from '../../integrations/integration-egress.ts';

export interface PagerDutyNotesDeps {
  /** PAGERDUTY_API_URL (default https://api.pagerduty.com) */
  apiUrl: string;
  /** PAGERDUTY_API_TOKEN */
  apiToken: string;
  /** PAGERDUTY_FROM: the email of the PagerDuty user the notes are posted as */
  from: string;
  conversations: Pick<ConversationStore, 'get'>;
  audit: AuditLog;
  fetch: typeof fetch;
  logger?: { warn(object: unknown, message?: string): void };
}

/** Notes longer than this are cut (PagerDuty refuses very long notes; the conversation link has the rest). */
const maxNoteChars = 8000;

export function noteContent(event: TeamEvent): string {
  const conclusion = redactText(event.conclusion?.trim() || 'The investigation ended without a conclusion.');
  const link = `Skyflo investigation: ${event.conversation_url}`;
  const waiting = event.awaiting_approval ? '\nA proposed change is waiting for a human decision in Skyflo.' : '';
  const body = conclusion.length + link.length + waiting.length + 2 > maxNoteChars ? `${conclusion.slice(0, maxNoteChars - link.length - waiting.length - 4)}…` : conclusion;
  return `${body}${waiting}\n\n${link}`;
}

export function createPagerDutyNotesSink(deps: PagerDutyNotesDeps): TeamEventSink {
  const base = deps.apiUrl.replace(/\/+$/, '');
  return {
    name: 'pagerduty',
    async deliver(event) {
      if (event.type !== 'alert.investigated') return;
      try {
        const conversation = await deps.conversations.get(event.conversation_id);
        const alert = (conversation?.metadata as { alert?: { source?: unknown; key?: unknown } } | undefined)?.alert;
        const incidentId = alert?.source === 'pagerduty' ? incidentIdOfGroupKey(alert.key) : undefined;
        if (!incidentId) return;
        const response = await deps.fetch(`${base}/incidents/${encodeURIComponent(incidentId)}/notes`, {
          method: 'POST',
          headers: { authorization: `Token token=${deps.apiToken}`, from: deps.from, accept: 'application/vnd.pagerduty+json;version=2', 'content-type': 'application/json' },
          body: JSON.stringify({ note: { content: noteContent(event) } }),
          signal: AbortSignal.timeout(15_000),
        });
        const ok = response.ok;
        // the answer's text can name the problem (a bad From, an unknown incident); it never holds our token
        const detail = ok ? undefined : redactText((await readCappedText(response, { maxBytes: smallAnswerMaxBytes, what: 'PagerDuty' }).catch((error: unknown) => (error instanceof Error ? error.message : ''))).slice(0, 300));
        if (ok) await response.body?.cancel().catch(() => undefined);
        await deps.audit.record({ action: ok ? 'alert.note_posted' : 'alert.note_failed', conversationId: event.conversation_id, subjectType: 'conversation', subjectId: event.conversation_id, details: { provider: 'pagerduty', incident: incidentId, status: response.status, ...(detail ? { detail } : {}) } });
        if (!ok) deps.logger?.warn({ incident: incidentId, status: response.status }, 'PagerDuty refused the investigation note');
      } catch (error) {
        deps.logger?.warn({ err: error instanceof Error ? error.message : String(error), conversationId: event.conversation_id }, 'could not post the investigation note to PagerDuty');
        await deps.audit.record({ action: 'alert.note_failed', conversationId: event.conversation_id, subjectType: 'conversation', subjectId: event.conversation_id, details: { provider: 'pagerduty', detail: redactText(error instanceof Error ? error.message : String(error)).slice(0, 300) } }).catch(() => undefined);
      }
    },
  };
}
