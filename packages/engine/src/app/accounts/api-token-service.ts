/**
 * API tokens for automation: a user creates named tokens with scopes and an expiry; the token (`sky_` + 32 random
 * bytes) is shown once and only its sha-256 is stored. A token acts as its owner (re-read on every use, so a removed
 * account's tokens stop working), within its scopes; every use is recorded in the audit trail under the owner.
 */
import { createHash, randomBytes } from 'node:crypto';
import { API_TOKEN_PREFIX, type ApiToken, type ApiTokenScope, type CreateApiTokenRequest, type CreatedApiToken } from '@skyflo/protocol';
import type { ApiTokenRecord, ApiTokenStore, AuditLog, AuthenticatedUser, UserStore } from '../../platform/ports/index.ts';
import { AccountError } from './account-error.ts';
import { isBreakGlass, localAccountRefusal, type LocalLoginPolicy } from './local-login.ts';

export interface ApiTokenIdentity {
  id: string;
  name: string;
  scopes: ApiTokenScope[];
}

/** One request made with an API token: the route and the scope it needs (undefined: not open to API tokens). */
export interface ApiTokenUse {
  method: string;
  path: string;
  scope: ApiTokenScope | undefined;
  ip?: string;
}

/** The token's owner; `apiTokenRefusal` says why this request is refused (403) when the scope does not cover it. */
export type ApiTokenUser = AuthenticatedUser & { apiToken: ApiTokenIdentity; apiTokenRefusal?: string };

export interface ApiTokenServiceDeps {
  tokens: ApiTokenStore;
  users: UserStore;
  audit: AuditLog;
  now?: () => Date;
  logger?: { error(object: unknown, message?: string): void };
  /**
   * LOCAL_LOGIN (issue 74 item 7): with local accounts off, a token of an account never linked to the identity
   * provider is refused (the break-glass admin's excepted; its uses are audited as such)
   */
  localLogin?: LocalLoginPolicy;
}

export type ApiTokenService = ReturnType<typeof createApiTokenService>;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const isApiToken = (token: string) => token.startsWith(API_TOKEN_PREFIX);

export function toApiTokenView(record: ApiTokenRecord): ApiToken {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes as ApiTokenScope[],
    prefix: record.prefix,
    created_at: record.createdAt.toISOString(),
    expires_at: record.expiresAt.toISOString(),
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
    revoked_at: record.revokedAt?.toISOString() ?? null,
  };
}

export function createApiTokenService(deps: ApiTokenServiceDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async create(owner: AuthenticatedUser, input: CreateApiTokenRequest, ip?: string): Promise<CreatedApiToken> {
      const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const record = await deps.tokens.insert({
        userId: owner.id,
        name: input.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
        scopes: [...new Set(input.scopes)],
        expiresAt: new Date(now().getTime() + input.expires_in_days * 86_400_000),
      });
      await deps.audit.record({ actorId: owner.id, action: 'api_token.created', subjectType: 'api_token', subjectId: record.id, details: { name: record.name, scopes: record.scopes, prefix: record.prefix, expires_at: record.expiresAt.toISOString() }, ...(ip ? { ip } : {}) });
      return { ...toApiTokenView(record), token };
    },

    async list(owner: AuthenticatedUser): Promise<ApiToken[]> {
      return (await deps.tokens.listForUser(owner.id)).map(toApiTokenView);
    },

    async revoke(owner: AuthenticatedUser, id: string, ip?: string): Promise<ApiToken> {
      const revoked = await deps.tokens.revoke({ id, userId: owner.id });
      if (!revoked) throw new AccountError('USER_NOT_FOUND', `No live API token ${id} of yours; it may already be revoked.`, 404);
      await deps.audit.record({ actorId: owner.id, action: 'api_token.revoked', subjectType: 'api_token', subjectId: id, details: { name: revoked.name, prefix: revoked.prefix }, ...(ip ? { ip } : {}) });
      return toApiTokenView(revoked);
    },

    /**
     * The token's owner and scopes, or undefined when it is unknown, revoked, expired or its owner is inactive.
     * Records the use (last_used_at and an `api_token.used` audit record naming the route).
     */
    async authenticate(token: string, use: ApiTokenUse): Promise<ApiTokenUser | undefined> {
      const record = await deps.tokens.findByHash(hashToken(token));
      const at = now();
      if (!record || record.revokedAt || record.expiresAt.getTime() <= at.getTime()) return undefined;
      const user = await deps.users.findById(record.userId);
      if (!user || !user.isActive) return undefined;
      const scopes = record.scopes as ApiTokenScope[];
      // a local account's token outlives LOCAL_LOGIN=false no more than its password does
      const localRefusal = user.oidcIdentity ? undefined : localAccountRefusal(deps.localLogin, user, 'API token');
      const breakGlass = deps.localLogin?.enabled === false && isBreakGlass(deps.localLogin, user.email);
      const refusal = localRefusal ?? (!use.scope
        ? `API tokens cannot be used for ${use.method} ${use.path.split('?')[0]}; sign in to the Command Center for that.`
        : scopes.includes(use.scope)
          ? undefined
          : `API token "${record.name}" lacks the scope ${use.scope} needed for ${use.method} ${use.path.split('?')[0]}; create a token with that scope in Settings → API tokens.`);
      await deps.tokens.touch(record.id, at);
      await deps.audit.record({
        actorId: user.id,
        action: 'api_token.used',
        subjectType: 'api_token',
        subjectId: record.id,
        details: { name: record.name, prefix: record.prefix, method: use.method, path: use.path.split('?')[0], scope: use.scope ?? null, allowed: refusal === undefined, ...(localRefusal ? { reason: 'LOCAL_LOGIN=false' } : {}), ...(breakGlass ? { break_glass: true } : {}) },
        ...(use.ip ? { ip: use.ip } : {}),
      });
      return { id: user.id, email: user.email, role: user.role, apiToken: { id: record.id, name: record.name, scopes }, ...(refusal ? { apiTokenRefusal: refusal } : {}) };
    },
  };
}
