/**
 * Issue 31 (6, 7): the pure rules deciding whether an automatic revert may run on its own — who may choose it under
 * four-eyes (decide/auto-revert-rules.ts autoRevertRefusal, inverseNeedsSecondPerson) and whether the inverse is still the
 * one shown on the card (inverseDiffChanged).
 */
import { describe, expect, it } from 'vitest';
import { autoRevertRefusal, inverseDiffChanged, inverseNeedsSecondPerson, revertPolicyOf } from './auto-revert-rules.ts';

const scaleToZero = { destructive: true, risks: [{ code: 'SCALE_TO_ZERO', severity: 'high' as const }] };
const highOnly = { destructive: false, risks: [{ code: 'RBAC_GRANT', severity: 'high' as const }] };
const harmless = { destructive: false, risks: [{ code: 'MANAGED_BY_CONTROLLER', severity: 'medium' as const }] };

describe('inverseNeedsSecondPerson', () => {
  it.each([
    ['four-eyes, destructive and high risk', { fourEyes: true }, scaleToZero, 'four-eyes (APPROVAL_FOUR_EYES): the inverse is destructive and carries a high risk (SCALE_TO_ZERO)'],
    ['four-eyes, a high risk only', { fourEyes: true }, highOnly, 'four-eyes (APPROVAL_FOUR_EYES): the inverse carries a high risk (RBAC_GRANT)'],
    ['four-eyes, a medium risk only', { fourEyes: true }, harmless, undefined],
    ['no four-eyes', { fourEyes: false }, scaleToZero, undefined],
    ['a cluster policy in four_eyes mode, whatever the inverse', { fourEyes: false, otherPersonRequired: 'cluster policy prod' }, harmless, 'cluster policy prod is in four-eyes mode'],
  ])('%s', (_name, policy, inverse, expected) => {
    expect(inverseNeedsSecondPerson(policy, inverse)).toBe(expected);
  });
});

describe('autoRevertRefusal (for the decision: may this person choose automatic revert?)', () => {
  it.each([
    ['the requester, an inverse needing a second person', 'alice', 'alice', scaleToZero, true],
    ['someone else, the same inverse', 'bob', 'alice', scaleToZero, false],
    ['the requester, a harmless inverse', 'alice', 'alice', harmless, false],
    ['an unknown chooser (fails closed)', undefined, 'alice', scaleToZero, true],
    ['an unknown requester (fails closed)', 'bob', undefined, scaleToZero, true],
  ])('%s', (_name, chosenBy, requestedBy, inverse, refused) => {
    const reason = autoRevertRefusal({ policy: { fourEyes: true }, inverse, chosenBy, requestedBy, inverseSummary: 'scale deployment default/batch back to 0 replicas' });
    expect(reason !== undefined).toBe(refused);
    if (refused) expect(reason).toMatch(/^Automatic revert needs a second person: .*the automatic revert \(scale deployment default\/batch back to 0 replicas\) may only be chosen by someone other than the person who asked for the change/);
  });
});

describe('revertPolicyOf', () => {
  it.each([
    ['the environment', { policy: 'self' as const, fourEyes: false }, undefined, { fourEyes: false }],
    ['an unknown environment: four-eyes assumed', undefined, undefined, { fourEyes: true }],
    ['a cluster in four_eyes mode', { policy: 'self' as const, fourEyes: false }, { mode: 'four_eyes' as const, source: 'cluster policy prod' }, { fourEyes: false, otherPersonRequired: 'cluster policy prod' }],
  ])('%s', (_name, environment, policy, expected) => {
    expect(revertPolicyOf(environment, { policy })).toEqual(expected);
  });
});

const card = `--- would-be/deployment.apps/worker
+++ live/deployment.apps/worker
@@ -17,7 +17,7 @@
       containers:
+        - image: nginx:1.27
-        - image: crash:1.0
           name: worker`;
const fresh = (from: string) => `deployment.apps/worker image updated (server dry run)

--- live/deployment.apps/worker
+++ would-be/deployment.apps/worker
@@ -18,7 +18,7 @@
       containers:
-        - image: ${from}
+        - image: nginx:1.27
           name: worker`;

describe('inverseDiffChanged', () => {
  it.each([
    ['the same change (the card lists it in the change\'s order, with other headers and hunk positions)', card, fresh('crash:1.0'), false],
    ['someone set another image since', card, fresh('nginx:1.28'), true],
    ['no fresh preview while the card had one (fails closed)', card, undefined, true],
    ['no diff on the card: nothing to compare', undefined, fresh('nginx:1.28'), false],
  ])('%s', (_name, shown, now, changed) => {
    expect(inverseDiffChanged(shown, now)).toBe(changed);
  });
});
