import { describe, expect, it } from 'vitest';
import { booleanFlag } from './boolean-flag.ts';
import { loadConfig } from './index.ts';

describe('booleanFlag', () => {
  it.each([
    ['true', true],
    [' TRUE ', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads %j as %s', (text, value) => {
    expect(booleanFlag.parse(text)).toBe(value);
  });

  it.each(['ture', '', 'on'])('refuses %j, saying what it expects', (text) => {
    const parsed = booleanFlag.safeParse(text);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('must be true or false');
  });

  it('is what every switch of the engine reads, with the same spellings and default when unset', () => {
    const config = loadConfig({ ALLOW_REGISTRATION: 'YES', APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: '1', EXECUTE_AS_APPROVER: 'no', TITLE_GENERATION_ENABLED: ' False ', TRUST_PROXY: 'true' });
    expect(config.auth.allowRegistration).toBe(true);
    expect(config.governance.fourEyes).toBe(true);
    expect(config.governance.executeAsApprover).toBe(false);
    expect(config.agent.titleGeneration).toBe(false);
    expect(config.server.trustProxy).toBe(true);
    expect(loadConfig({}).agent.titleGeneration).toBe(true);
    expect(() => loadConfig({ TITLE_GENERATION_ENABLED: 'maybe' })).toThrow(/TITLE_GENERATION_ENABLED: must be true or false/);
  });
});
