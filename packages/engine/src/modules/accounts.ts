/**
 * Accounts for the composition root (create-engine.ts): access tokens, the account service (passwords, refresh
 * tokens, the first admin's setup token, company sign-in's sessions) and the OIDC routes.
 */
import { randomBytes } from 'node:crypto';
import { createAccessTokens } from '../app/accounts/access-tokens.ts';
import { createAccountService } from '../app/accounts/account-service.ts';
import type { ApiTokenService } from '../app/accounts/api-token-service.ts';
import type { LocalLoginPolicy } from '../app/accounts/local-login.ts';
import { createLoginRateLimiter } from '../app/accounts/login-rate-limiter.ts';
import { createOidcSignIn, isLoopbackHttp, oidcSettings } from '../app/accounts/oidc-sign-in.ts';
import type { PasswordHasher } from '../app/accounts/password-hasher.ts';
import type { Config } from '../platform/config/index.ts';
import type { SecretBox } from '../platform/crypto/secret-box.ts';
import type { MountedRoutes } from '../http/app.ts';
import { isLoopbackHost } from '../http/plugins/host-allowlist.ts';
import { oidcRoutes, type OidcRouteDeps } from '../http/routes/auth/oidc.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { lazyPasswordHasher } from './startup/lazy-dependencies.ts';

/** LOCAL_LOGIN=false ends local accounts' passwords, refresh tokens and API tokens, the break-glass admin's excepted */
export function localLoginPolicy(oidc: Config['oidc']): LocalLoginPolicy {
  return { enabled: oidc.localLogin, breakGlassEmail: oidc.breakGlassEmail, providerName: oidc.oidc?.providerName };
}

export interface AccountsDeps {
  config: Pick<Config, 'auth' | 'oidc' | 'server'>;
  storage: PlatformStorage;
  /** signs access tokens and the OIDC state */
  secret: string;
  /** seals company sign-in's sessions */
  secretBox: SecretBox;
  localLogin: LocalLoginPolicy;
  /** API tokens for automation (modules/team-features.ts) */
  apiTokens: ApiTokenService;
  /** tests use cheaper argon2 costs; default: argon2, loaded on first use */
  passwordHasher?: PasswordHasher;
}

export function createAccounts(deps: AccountsDeps) {
  const { config, storage, secret, secretBox, localLogin } = deps;
  // Bound beyond loopback, a fresh install would belong to whoever on the network registers first: ask for a
  // token that only the person who can read the start-up log has.
  const setupToken = isLoopbackHost(config.server.host) ? undefined : (config.server.setupToken ?? randomBytes(18).toString('base64url'));
  const accessTokens = createAccessTokens({ secret, ttlMinutes: config.auth.accessTokenMinutes });
  const passwordHasher = deps.passwordHasher ?? lazyPasswordHasher();
  const oidcSignIn = config.oidc.oidc ? createOidcSignIn({ settings: oidcSettings(config.oidc.oidc, config.server.publicUrl), stateSecret: secret, allowInsecureRequests: isLoopbackHttp(config.oidc.oidc.issuerUrl) }) : undefined;
  const accounts = createAccountService({
    users: storage.users,
    refreshTokens: storage.refreshTokens,
    audit: storage.audit,
    atomically: storage.atomically,
    hasher: passwordHasher,
    accessTokens,
    localLogin,
    // company sign-in's sessions ask the provider again at each refresh (its refresh token, sealed per family)
    ...(oidcSignIn
      ? {
          providerSessions: {
            seal: (familyId: string, session: { refreshToken?: string | undefined }) => secretBox.seal(JSON.stringify(session), `oidc-session:${familyId}`),
            open: (familyId: string, sealed: string) => JSON.parse(secretBox.open(sealed, `oidc-session:${familyId}`)) as { refreshToken?: string },
            refresh: (input: { refreshToken: string; issuer: string; subject: string }) => oidcSignIn.refresh(input),
          },
        }
      : {}),
    loginLimiter: createLoginRateLimiter(config.auth.loginRateLimit),
    addressLimiter: createLoginRateLimiter(config.auth.loginAddressRateLimit),
    allowRegistration: config.auth.allowRegistration,
    ...(setupToken ? { setupToken } : {}),
    refreshTokenDays: config.auth.refreshTokenDays,
    apiTokens: deps.apiTokens,
  });
  const routes: MountedRoutes<any>[] = [
    {
      plugin: oidcRoutes,
      options: {
        accounts,
        signIn: oidcSignIn,
        hasher: passwordHasher,
        accessTokenTtlSeconds: accessTokens.ttlSeconds,
        localLogin: config.oidc.localLogin,
        breakGlass: config.oidc.breakGlassEmail !== undefined,
        publicUrl: config.server.publicUrl,
      } satisfies OidcRouteDeps,
    },
  ];
  /** setupToken: the one-time token for creating the first admin, when one is needed (printed at start-up) */
  return { accounts, accessTokens, setupToken, routes };
}
