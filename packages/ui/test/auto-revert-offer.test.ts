/** Issue 31: the approval card and the queue offer automatic revert only to whom the engine would let choose it. */
import { describe, expect, it } from 'vitest';
import { autoRevertBlocked } from '../src/lib/auto-revert-offer.ts';

const reason = 'Four-eyes (APPROVAL_FOUR_EYES): the inverse is destructive and carries a high risk (SCALE_TO_ZERO): only someone other than the requester may approve with automatic revert.';

describe('autoRevertBlocked', () => {
  it.each([
    ['the requester, an inverse needing a second person', { second_person_required: reason }, 'alice', 'alice', reason],
    ['another approver, the same inverse', { second_person_required: reason }, 'alice', 'bob', undefined],
    ['the requester, a harmless inverse', {}, 'alice', 'alice', undefined],
    ['not known yet who is looking', { second_person_required: reason }, 'alice', undefined, reason],
    ['no inverse at all', undefined, 'alice', 'alice', undefined],
  ])('%s', (_name, undo, requestedBy, me, expected) => {
    expect(autoRevertBlocked(undo, requestedBy, me)).toBe(expected);
  });
});
