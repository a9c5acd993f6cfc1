import { describe, expect, it } from 'vitest';
import { jenkinsTargetLine } from './jenkins-args.ts';

describe('which Jenkins an approval card names (issue 37 item 8)', () => {
  it("is the integration's name and its URL's host, never the user info a URL may carry", () => {
    expect(jenkinsTargetLine({ name: 'CI (prod)', apiUrl: 'https://robot:s3cret-token@ci.example.com:8443/jenkins/' })).toBe('Jenkins: CI (prod) (ci.example.com:8443)');
    expect(jenkinsTargetLine({ apiUrl: 'http://127.0.0.1:9090' })).toBe('Jenkins: 127.0.0.1:9090');
    expect(jenkinsTargetLine({ name: 'old', apiUrl: 'not a url' })).toBe('Jenkins: old (an unreadable URL)');
  });
});
