import { describe, expect, it } from 'vitest';
import { assertNoHostEscape, assertSafeArgument, assertSafeName, assertSafeSelector } from '../../src/exec/flag-guard.ts';
import { ToolInputError } from '../../src/contract/errors.ts';
import { badNames, hostileValues } from '../support/hostile-values.ts';

describe('flag guard', () => {
  it('has a corpus of at least 100 hostile values', () => {
    expect(hostileValues.length).toBeGreaterThanOrEqual(100);
  });

  it.each(hostileValues.map((value) => [JSON.stringify(value).slice(0, 50), value]))('refuses %s as an argument and as a name', (_label, value) => {
    for (const guard of [assertSafeArgument, assertSafeName]) {
      let caught: unknown;
      try {
        guard('image', value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ToolInputError);
      const error = caught as ToolInputError;
      expect(error.message).toMatch(/^Invalid image /);
      expect(error.hint).toBeTruthy();
      // the message never echoes more than a short prefix of a huge value
      expect(error.message.length).toBeLessThan(400);
    }
  });

  it.each(badNames)('refuses %s as a name', (value) => {
    expect(() => assertSafeName('name', value)).toThrow(ToolInputError);
  });

  it.each(['nginx', 'nginx:1.27', 'registry.local:5000/team/app@sha256:' + 'a'.repeat(64), 'main', 'v1.2.3', 'app=web'])('accepts the plain argument %s', (value) => {
    expect(() => assertSafeArgument('image', value)).not.toThrow();
  });

  it.each(['web', 'web-1', 'kube-system', 'my.app.v2', 'a'])('accepts the name %s', (value) => {
    expect(() => assertSafeName('name', value)).not.toThrow();
  });

  it('accepts set-based selectors but not flag-like ones', () => {
    expect(() => assertSafeSelector('label_selector', 'env in (prod,dev),tier!=db')).not.toThrow();
    expect(() => assertSafeSelector('label_selector', '--all')).toThrow(/selectors may not start with a dash/);
    expect(() => assertSafeSelector('label_selector', 'app=web;rm')).toThrow(ToolInputError);
  });

  it('refuses pod specs that escape the sandbox and names the offending fields', () => {
    expect(() => assertNoHostEscape('pod', { spec: { hostPID: true } })).toThrow(/spec\.hostPID/);
    expect(() => assertNoHostEscape('pod', { spec: { containers: [{ securityContext: { privileged: true } }] } })).toThrow(/privileged/);
    expect(() => assertNoHostEscape('pod', { spec: { volumes: [{ name: 'root', hostPath: { path: '/' } }] } })).toThrow(/hostPath/);
    expect(() => assertNoHostEscape('pod', { spec: { containers: [{ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] } })).toThrow(/capabilities\.add/);
    expect(() => assertNoHostEscape('pod', { spec: { hostNetwork: false, containers: [{ image: 'nginx' }] } })).not.toThrow();
  });
});
