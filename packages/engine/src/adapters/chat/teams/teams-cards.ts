/**
 * The Adaptive Cards of approval requests in Teams: why the call needs a decision, the cluster, who asked, the risks,
 * the diff (truncated, with a link to the conversation for the rest) and Approve / Deny as Action.Execute (Universal
 * Actions: Teams sends an adaptiveCard/action invoke and shows the card the bot answers with); once decided, the same
 * card without actions saying who decided and how; after a refused click, the card with the refusal, actions kept.
 * Text only from the TeamEvent (display-form arguments), and the diff and free text are redacted again here: a card
 * is read by everyone in the channel and kept by Microsoft.
 */
import { redactText } from '@skyflo/safety';
import type { RequestFacts } from '../../../app/integrations/chat-approvals/posted-approvals.ts';
import { truncateDiff } from '../../../app/integrations/chat-approvals/truncate-diff.ts';
import { decidedLine, type DecisionOutcome } from '../../../app/team-events/team-event.ts';

/** what a card's request shows (the cluster the call changes among them) */
export type CardFacts = RequestFacts;

/** the data of both actions: which call the card is about */
export interface CardActionData {
  conversation_id: string;
  call_id: string;
}

export type AdaptiveCard = Record<string, unknown>;

const text = (value: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: value, wrap: true, ...extra });

function summary(request: CardFacts, link: string) {
  const risks = (request.risks ?? []).map((risk) => `- **${risk.severity.toUpperCase()}** ${risk.code}: ${redactText(risk.message)}`).join('\n');
  return [
    text(redactText(request.policy_reason ?? `${request.tool ?? 'A call'} waits for approval`), { weight: 'Bolder', size: 'Medium' }),
    {
      type: 'FactSet',
      facts: [
        { title: 'Tool', value: request.tool ?? 'unknown' },
        ...(request.cluster ? [{ title: 'Cluster', value: request.cluster }] : []),
        ...(request.requested_by?.email ? [{ title: 'Asked by', value: request.requested_by.email }] : []),
        { title: 'Conversation', value: `[${redactText(request.conversation_title || 'Open the conversation')}](${link})` },
      ],
    },
    ...(risks ? [text('Risks', { weight: 'Bolder' }), text(risks)] : []),
    ...(request.diff ? [text(truncateDiff(redactText(request.diff, { keepLayout: true }), link), { fontType: 'Monospace', size: 'Small' })] : []),
  ];
}

const card = (body: unknown[], actions: unknown[]): AdaptiveCard => ({ type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.4', body, actions });
const openLink = (link: string) => ({ type: 'Action.OpenUrl', title: 'Open in Skyflo', url: link });

function decisionActions(request: CardFacts, link: string) {
  const data: CardActionData = { conversation_id: request.conversation_id, call_id: request.call_id! };
  return [
    { type: 'Action.Execute', verb: 'approve', title: 'Approve', style: 'positive', data },
    { type: 'Action.Execute', verb: 'deny', title: 'Deny', style: 'destructive', data },
    openLink(link),
  ];
}

/**
 * Issue 74 item 2: what a click here can do, said where people click. Teams does not prove who clicked, so Approve
 * counts only for the person who asked (tool-calls/decide unverifiedClickerRule).
 */
export const teamsClickNote = 'Approve here counts only for the person who asked for this call (Teams does not prove who clicked); anyone else approves in Skyflo. Deny works here for whoever may decide it.';

export function approvalRequestCard(request: CardFacts, link: string): AdaptiveCard {
  return card([...summary(request, link), text(teamsClickNote, { isSubtle: true, size: 'Small' })], decisionActions(request, link));
}

export function decidedCard(request: CardFacts, outcome: DecisionOutcome, by: string, link: string, reason?: string): AdaptiveCard {
  return card([...summary(request, link), text(`**${decidedLine(outcome, by, reason)}**`, { color: outcome === 'approved' ? 'Good' : outcome === 'denied' ? 'Attention' : 'Default' })], [openLink(link)]);
}

/** the request card again, with why the click was not recorded (shown to the clicker in the invoke answer) */
export function refusedCard(request: CardFacts, reason: string, link: string): AdaptiveCard {
  return card([...summary(request, link), text(`Skyflo did not record your decision: ${redactText(reason)}`, { color: 'Attention' })], decisionActions(request, link));
}

/** a message activity carrying one card */
export const cardActivity = (content: AdaptiveCard, summaryText: string) => ({ type: 'message', summary: summaryText, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content }] });

/** the answer to an adaptiveCard/action invoke that shows `content` in place of the clicked card */
export const invokeCardResponse = (content: AdaptiveCard) => ({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: content });
