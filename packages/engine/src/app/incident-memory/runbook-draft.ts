/**
 * A runbook drafted from a resolved conversation (issue 81 item 5): its symptoms (what was asked, the alert), the
 * diagnosis steps that ran before the fix (read-only calls), the change that fixed it (approved calls that ran), and
 * the verification (reads after the change, and the answer's conclusion). Built from the stored (redacted) timeline
 * without a model, so the draft says only what happened; a person edits it and saves it with POST /runbooks. Drafts
 * are not stored, so one is never offered to the model until a person saves it. Pure: no I/O.
 */
import { redactText } from '@skyflo/safety';
import type { RunbookDraft } from '@skyflo/protocol';
import type { Conversation } from '../../platform/ports/index.ts';
import { describeChange, type ToolSegment } from './incident-memory.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

export class NotResolvedError extends SkyfloError {
  readonly code = 'NOT_RESOLVED';
  override readonly statusCode = 409;
}

const unique = (items: string[]) => [...new Set(items)];

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'incident';
}

export function draftRunbook(conversation: Pick<Conversation, 'id' | 'title' | 'timeline' | 'metadata'>): RunbookDraft {
  const alert = (conversation.metadata as { alert?: { card?: { labels?: Record<string, string>; title?: string }; status?: string } } | undefined)?.alert;
  const symptoms: string[] = [];
  const diagnosis: string[] = [];
  const change: string[] = [];
  const verification: string[] = [];
  let conclusion = '';
  for (const entry of conversation.timeline) {
    if (entry.type === 'user' || entry.type === 'alert') {
      const content = String((entry as { content?: string }).content ?? '').trim();
      if (content && symptoms.length < 5) symptoms.push(content.split('\n')[0]!.slice(0, 300));
      continue;
    }
    if (entry.type !== 'assistant') continue;
    const segments = (entry as { segments?: ToolSegment[] }).segments ?? [];
    const text = segments.filter((segment) => segment.kind === 'text').map((segment) => segment.text ?? '').join('').trim();
    if (text) conclusion = text;
    for (const segment of segments) {
      const execution = segment.kind === 'tool' ? segment.toolExecution : undefined;
      if (!execution || execution.status !== 'completed' || execution.tool === 'load_toolset') continue;
      if (execution.requires_approval) change.push(describeChange(execution));
      else (change.length === 0 ? diagnosis : verification).push(describeChange(execution));
    }
  }
  if (change.length === 0 && alert?.status !== 'resolved') throw new NotResolvedError('Nothing resolved this conversation: no approved change ran and no alert resolved. A runbook is drafted from a resolved conversation.');
  if (conclusion) verification.push(`Expected outcome: ${conclusion.split('\n').find((line) => line.trim())!.trim().slice(0, 400)}`);
  const alerts = alert?.card?.labels?.['alertname'] ? [alert.card.labels['alertname']] : [];
  const title = redactText((conversation.title || symptoms[0] || 'Incident').replace(/^\[resolved\]\s*/i, '').replace(/^Alert:\s*/, '').slice(0, 120));
  const section = (heading: string, items: string[], numbered = false) => `## ${heading}\n\n${items.length > 0 ? items.map((item, index) => `${numbered ? `${index + 1}.` : '-'} ${item}`).join('\n') : '- (fill in)'}`;
  const draft = {
    symptoms: unique(symptoms).map((item) => redactText(item)),
    diagnosis_steps: unique(diagnosis).map((item) => redactText(item)),
    change: unique(change).map((item) => redactText(item)),
    verification: unique(verification).map((item) => redactText(item)),
  };
  const markdown = [
    `---\ntitle: ${JSON.stringify(title)}\n${alerts.length > 0 ? `alerts: [${alerts.map((name) => JSON.stringify(name)).join(', ')}]\n` : ''}---`,
    `# ${title}`,
    section('Symptoms', draft.symptoms),
    section('Diagnosis', draft.diagnosis_steps, true),
    section('Fix', draft.change, true),
    section('Verification', draft.verification),
    `Drafted from conversation ${conversation.id}; review every step before saving.`,
  ].join('\n\n');
  return { name: slug(title), title, alerts, ...draft, markdown: `${markdown}\n`, conversation_id: conversation.id };
}
