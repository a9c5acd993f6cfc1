/**
 * Rules of decide.ts's ordered list about the decider: their API token's scope, their role and four-eyes, their
 * cluster and namespace scope, their passkey, and whether the channel the click came through proves who clicked.
 */
import { externalServerOf, isExternalToolName } from '@skyflo/protocol';
import { decisionRefusal as authorityRefusal } from './decision-authority.ts';
import { clusterInScope, namespaceInScope } from '../../clusters/member-scope.ts';
import { approving, askedBy, decideScope, decidingPolicy, reachOf, type DecideRule } from './rule-facts.ts';

/**
 * Issue 31 item 8: an API token decides only with `approvals:write`. A `chat` token (made for `skyflo chat` or an
 * eval) asks and reads; without this an approver's chat token, wherever it was pasted, approved changes.
 */
export const tokenScopeRule: DecideRule = ({ actor }) =>
  actor.apiToken && !actor.apiToken.scopes.includes(decideScope)
    ? {
        status: 403,
        code: 'TOKEN_SCOPE',
        reason: `API token "${actor.apiToken.name}" lacks the scope ${decideScope} needed to approve or deny calls (a chat token can ask and read, not decide); decide in the Command Center, or create a token with ${decideScope} in Settings → API tokens.`,
      }
    : undefined;

/** The role rule, four-eyes (APPROVAL_FOUR_EYES) and a cluster's four_eyes mode (decision-authority.ts). */
export const roleAndFourEyesRule: DecideRule = (facts) => {
  if (!facts.call || !facts.conversation) return undefined;
  const deciding = decidingPolicy(facts);
  const refusal = authorityRefusal({
    policy: deciding.policy,
    fourEyes: deciding.fourEyes,
    ...(deciding.otherPersonRequired ? { otherPersonRequired: deciding.otherPersonRequired } : {}),
    ...(deciding.policySource ? { policySource: deciding.policySource } : {}),
    actor: facts.actor,
    conversationOwnerId: facts.conversation.ownerId,
    reach: reachOf(facts),
    requestedBy: askedBy(facts.call, facts.conversation.ownerId)!,
    destructive: facts.call.destructive,
    risks: facts.call.risks,
  });
  if (!refusal) return undefined;
  return refusal.hidden ? { status: 404, code: 'CONVERSATION_NOT_FOUND', reason: `Conversation ${facts.conversationId} not found` } : { status: 403, code: 'NOT_ALLOWED_TO_DECIDE', reason: refusal.reason };
};

/** A tool of an external MCP server (issue 39): `<server>__<tool>`; none of Skyflo's own tools has the separator. */
const isExternalTool = isExternalToolName;

/** An approver limited to some clusters or namespaces approves only there (issue 22); anyone who sees it may deny. */
export const clusterScopeRule: DecideRule = (facts) => {
  const { call } = facts;
  if (!approving(facts) || !call) return undefined;
  // Issue 74 item 3: an external server's tool acts where its admin declared (recorded as the call's cluster and
  // namespace, and judged below like any call); one declared nowhere could act anywhere, so only someone whose scope
  // is not limited approves it.
  if (!call.cluster) {
    if (!isExternalTool(call.tool) || (!facts.deciderScope?.clusters && !facts.deciderScope?.namespaces)) return undefined;
    const server = externalServerOf(call.tool);
    return {
      status: 403,
      code: 'OUT_OF_SCOPE',
      reason: `Tool call ${call.callId} runs ${call.tool}, a tool of the external MCP server "${server}", for which no cluster or namespace is declared (an admin sets where its tools act in Integrations → MCP servers); it could act anywhere, so only an approver whose scope is not limited may approve it.`,
    };
  }
  // Every namespace the call writes counts (issue 31: a chart's objects beyond its release namespace), and
  // cluster-scoped objects are outside a scope limited to namespaces.
  const written = call.namespaces ?? (call.namespace !== undefined ? [call.namespace] : []);
  const outside = written.filter((namespace) => !namespaceInScope(facts.deciderScope, namespace));
  const clusterWide = call.clusterScopedWrites === true && !!facts.deciderScope?.namespaces;
  // an external tool declared for a cluster but no namespace may act in any namespace of it
  const anyNamespace = isExternalTool(call.tool) && written.length === 0 && !!facts.deciderScope?.namespaces;
  const clusterAllowed = clusterInScope(facts.deciderScope, call.cluster.name);
  if (clusterAllowed && outside.length === 0 && !clusterWide && !anyNamespace) return undefined;
  const where = !clusterAllowed
    ? call.namespace !== undefined ? [`namespace ${call.namespace}`] : []
    : [...(outside.length > 0 ? [`namespace ${outside.join(', ')}`] : []), ...(clusterWide ? ['cluster-scoped objects'] : []), ...(anyNamespace ? ['any namespace (none is declared for this external tool)'] : [])];
  return {
    status: 403,
    code: 'OUT_OF_SCOPE',
    reason: `Tool call ${call.callId} changes cluster ${call.cluster.name}${where.length > 0 ? `, ${where.join(' and ')}` : ''}, which is outside your scope; someone whose scope includes it must approve it.`,
  };
};

/**
 * Issue 35: a call whose cluster asks for a passkey is approved only with the approver's passkey assertion over its
 * facts — never by a plain click (Command Center, Slack) or an API token, whatever its scopes. The assertion itself is
 * verified right after these rules (passkeys/passkey-service.ts verifyApproval). The pending list (no request) offers
 * the call to a person in a browser and says `passkey_required`; to an API token it is not offered.
 */
export const passkeyRule: DecideRule = ({ passkey, actor, request, callId }) => {
  if (!passkey) return undefined;
  if (request !== undefined && !request.approve) return undefined;
  const refusal = (how: string) => ({ status: 403 as const, code: 'PASSKEY_REQUIRED', reason: `Approving tool call ${callId} needs your passkey (${passkey.required}); ${how}. Approve it in the Command Center with your passkey: ${passkey.approveAt}` });
  // A confirmed device key's signature over the call's facts stands for the person (`skyflo chat`, whatever its
  // credential): the token's scope is still checked by tokenScopeRule.
  if (request?.deviceSignature) return undefined;
  if (actor.apiToken) return refusal(`an API token ("${actor.apiToken.name}") cannot approve it`);
  if (request !== undefined && !request.webauthn) return refusal('a click alone does not approve it');
  return undefined;
};

/**
 * Issue 74 item 2: a click whose clicker the channel does not authenticate (Teams) never stands for a second person.
 * With one captured Bot Framework token, an activity naming another approver as its sender approved a scale to 0:
 * four-eyes was bypassed by choosing the clicker. So such a click approves only a call the person it names asked for
 * themselves (and every rule before this one still applies to them: role, four-eyes, scope, passkey); a call that
 * needs someone else's approval is approved in the Command Center, where that person signs in. Denying stays open:
 * it never runs anything.
 */
export const unverifiedClickerRule: DecideRule = ({ request, call, conversation, actor, callId }) => {
  if (!request?.approve || !request.unverifiedClicker || !call) return undefined;
  if (actor.id === askedBy(call, conversation?.ownerId)) return undefined;
  return {
    status: 403,
    code: 'APPROVE_IN_COMMAND_CENTER',
    reason: `${request.unverifiedClicker} does not prove who clicked, so an approval there counts only for the person who asked for the call; tool call ${callId} was asked for by someone else, so approve it in the Command Center (denying in ${request.unverifiedClicker} still works).`,
  };
};
