/**
 * The Slack messages of approval requests: the call, why it needs a decision, its risks, the diff (truncated, with a
 * link to the conversation for the rest) and Approve / Deny buttons; once decided, the same message without buttons
 * saying who decided and how. Text only from the request's facts (display-form arguments: no secrets).
 */
import { decidedLine, type DecisionOutcome } from '../../../app/team-events/team-event.ts';
import type { RequestFacts } from '../../../app/integrations/chat-approvals/posted-approvals.ts';
import { truncateDiff } from '../../../app/integrations/chat-approvals/truncate-diff.ts';

export interface ButtonValue {
  conversation_id: string;
  call_id: string;
}

function summaryBlocks(event: RequestFacts, link: string) {
  const risks = (event.risks ?? []).map((risk) => `• ${risk.severity.toUpperCase()} ${risk.code}: ${risk.message}`).join('\n');
  return [
    { type: 'section', text: { type: 'mrkdwn', text: `*${event.policy_reason ?? `${event.tool} waits for approval`}*\n<${link}|${event.conversation_title || 'Open the conversation'}>${event.requested_by?.email ? ` · asked by ${event.requested_by.email}` : ''}` } },
    ...(risks ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Risks*\n${risks}` } }] : []),
    ...(event.diff ? [{ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${truncateDiff(event.diff, link)}\`\`\`` } }] : []),
  ];
}

/**
 * `passkeyPage`: the call needs the approver's passkey (issue 35), so its only button is a link to its approval page
 * in the Command Center: a click in Slack never decides it (and a forged approve action is refused by the decision).
 */
export function approvalRequestMessage(event: RequestFacts, link: string, passkeyPage?: string) {
  const value: ButtonValue = { conversation_id: event.conversation_id, call_id: event.call_id! };
  if (passkeyPage) {
    return {
      text: `Skyflo: ${event.policy_reason ?? `${event.tool} waits for approval`} (approve with a passkey in the Command Center)`,
      blocks: [
        ...summaryBlocks(event, link),
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'This change needs the approver\'s passkey: approve or deny it in the Command Center.' }] },
        { type: 'actions', block_id: 'skyflo_passkey', elements: [{ type: 'button', action_id: 'open_approval', style: 'primary', text: { type: 'plain_text', text: 'Review and approve in Skyflo' }, url: passkeyPage }] },
      ],
    };
  }
  return {
    text: `Skyflo: ${event.policy_reason ?? `${event.tool} waits for approval`}`,
    blocks: [
      ...summaryBlocks(event, link),
      {
        type: 'actions',
        block_id: 'skyflo_decision',
        elements: [
          { type: 'button', action_id: 'approve', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: JSON.stringify(value) },
          { type: 'button', action_id: 'deny', style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: JSON.stringify(value) },
        ],
      },
    ],
  };
}

export function decidedMessage(request: RequestFacts, outcome: DecisionOutcome, by: string, link: string, reason?: string) {
  const line = decidedLine(outcome, by, reason);
  return { text: `Skyflo: ${request.tool} ${line.toLowerCase()}`, blocks: [...summaryBlocks(request, link), { type: 'context', elements: [{ type: 'mrkdwn', text: `*${line}*` }] }] };
}
