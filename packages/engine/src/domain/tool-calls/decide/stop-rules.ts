/**
 * Issue 76: while the emergency stop is on, or a change freeze holds for the call, nothing is approved (a denial stays
 * open: it never runs anything). Rules of decide.ts's ordered list, so the queue's `can_decide` says the same.
 *
 * Issue 76 item 6, break-glass: during a freeze an admin may approve one call anyway, with a reason and their passkey
 * (the passkey rule and its verification apply: gather-facts.ts forces the requirement for a break-glass request).
 * The emergency stop has no break-glass: it is lifted, not bypassed.
 */
import { emergencyStopCode, stoppedText, type EmergencyStopState } from '../../emergency-stop/emergency-stop.ts';
import { isNamedAmong } from '@skyflo/safety/declared';
import { frozenCode, frozenText, type FreezeHit } from '@skyflo/safety/freezes';
import type { Role } from '../../../platform/ports/index.ts';

/** The facts these rules read, a part of decide.ts's DecisionFacts (not imported: decide.ts lists these rules). */
interface StopRuleFacts {
  callId: string;
  actor?: { id: string; email?: string | undefined; role: Role; apiToken?: unknown } | undefined;
  request?: { approve: boolean; breakGlass?: { reason: string } | undefined; webauthn?: boolean | undefined; deviceSignature?: boolean | undefined } | undefined;
  emergencyStop?: EmergencyStopState | undefined;
  freeze?: FreezeHit | undefined;
}

type StopRefusal = { status: 400 | 403 | 409; code: string; reason: string };

export const emergencyStopRule = ({ emergencyStop, request, callId }: StopRuleFacts): StopRefusal | undefined =>
  emergencyStop && (request === undefined || request.approve) ? { status: 409, code: emergencyStopCode, reason: stoppedText(emergencyStop, `Tool call ${callId} cannot be approved now`) } : undefined;

/** What the frozen card and the refusal say: which freeze holds it, until when, and who may still approve it. */
export const frozenHoldText = (freeze: FreezeHit, what: string): string =>
  `${frozenText(freeze, what)} Only an admin's break-glass (a reason and their passkey, audited and announced to the team) can approve it before then; otherwise wait for the freeze to end, or deny it.`;

export const freezeRule = ({ freeze, request, callId, actor }: StopRuleFacts): StopRefusal | undefined => {
  const breakGlass = request?.approve ? request.breakGlass : undefined;
  if (breakGlass && !freeze) {
    return { status: 400, code: 'NOTHING_TO_BREAK', reason: `No change freeze holds tool call ${callId} now, so there is nothing to break; approve it normally (without break_glass).` };
  }
  if (!freeze || (request !== undefined && !request.approve)) return undefined;
  if (!breakGlass) return { status: 409, code: frozenCode, reason: frozenHoldText(freeze, `Tool call ${callId} cannot be approved now`) };
  if (actor?.role !== 'admin') {
    return { status: 403, code: 'BREAK_GLASS_ADMIN_ONLY', reason: `Only an admin may break the change freeze "${freeze.name}" for tool call ${callId}; ask an admin, wait until the freeze ends (${freeze.endsAt.toISOString()}), or deny it.` };
  }
  // A SkyfloFreeze names who may break it in the cluster: the executor refuses anyone else, so say so now
  const named = freeze.breakGlassBy;
  if (named && !isNamedAmong(named, actor)) {
    return { status: 403, code: 'BREAK_GLASS_NOT_NAMED', reason: `The change freeze "${freeze.name}" is declared in the cluster (a SkyfloFreeze), which lets only ${named.join(', ')} break it: the cluster's executor would refuse this change from you. Ask one of them, wait until the freeze ends (${freeze.endsAt.toISOString()}), or deny it.` };
  }
  if (!request?.webauthn && !request?.deviceSignature) {
    return { status: 403, code: 'BREAK_GLASS_PASSKEY_REQUIRED', reason: `Breaking the change freeze "${freeze.name}" for tool call ${callId} needs your passkey as well as a reason; use "Break glass" on its card in the Command Center, which asks for both.` };
  }
  return undefined;
};
