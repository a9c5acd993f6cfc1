/** LOCAL_LOGIN=false and the break-glass admin (issue 74 item 7): which local sessions and tokens are still honoured. */
import { describe, expect, it } from 'vitest';
import { isBreakGlass, localAccountRefusal, type LocalLoginPolicy } from './local-login.ts';

const off: LocalLoginPolicy = { enabled: false, breakGlassEmail: 'breakglass@acme.test', providerName: 'Acme SSO' };

describe('local accounts with LOCAL_LOGIN', () => {
  it.each<[string, LocalLoginPolicy | undefined, string, boolean]>([
    ['no policy (no company sign-in configured)', undefined, 'carl@acme.test', false],
    ['LOCAL_LOGIN=true', { enabled: true }, 'carl@acme.test', false],
    ['LOCAL_LOGIN=false, a local account', off, 'carl@acme.test', true],
    ['LOCAL_LOGIN=false, the break-glass admin', off, 'breakglass@acme.test', false],
    ['LOCAL_LOGIN=false, the break-glass admin in other letters', off, ' BreakGlass@Acme.test ', false],
    ['LOCAL_LOGIN=false without a break-glass admin', { enabled: false }, 'breakglass@acme.test', true],
  ])('%s', (_case, policy, email, refused) => {
    expect(localAccountRefusal(policy, { email }, 'refresh token') !== undefined).toBe(refused);
  });

  it('says what was refused and where to sign in instead', () => {
    expect(localAccountRefusal(off, { email: 'carl@acme.test' }, 'API token')).toBe('Local accounts are turned off on this installation (LOCAL_LOGIN=false): this API token was issued to a session that did not come from Acme SSO; sign in with Acme SSO.');
    expect(isBreakGlass(off, 'breakglass@acme.test')).toBe(true);
  });
});
