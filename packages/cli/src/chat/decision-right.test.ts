import { describe, expect, it } from 'vitest';
import { cannotDecideReason } from './decision-right.ts';

const ordered = {
  data: [
    { call_id: 'call_web', can_decide: true },
    {
      call_id: 'call_api',
      can_decide: false,
      cannot_decide_code: 'DECIDE_IN_ORDER',
      cannot_decide_reason: 'Tool call call_api runs after call_web (k8s_scale), which is still waiting; decide call_web first.',
    },
    { call_id: 'call_mine', can_decide: false, cannot_decide_code: 'FOUR_EYES', cannot_decide_reason: 'you asked for it yourself' },
  ],
};

describe('cannotDecideReason', () => {
  it("shows the engine's order refusal when nothing of the turn is decided here first", () => {
    expect(cannotDecideReason(ordered, 'call_api')).toMatch(/decide call_web first/);
  });

  it('drops the order refusal when this terminal decides the earlier calls first (it sends them in order)', () => {
    expect(cannotDecideReason(ordered, 'call_api', ['call_web'])).toBeUndefined();
  });

  it('keeps every other refusal, whatever was decided before', () => {
    expect(cannotDecideReason(ordered, 'call_mine', ['call_web'])).toBe('you asked for it yourself');
    expect(cannotDecideReason(ordered, 'call_web')).toBeUndefined();
  });
});
