import type { IncomingMessage } from 'node:http';
import { ApiError, type SimUser } from '../cluster-types.ts';
import type { ServiceAccountTokens } from './service-account-tokens.ts';

export interface SimUserConfig {
  name: string;
  token: string;
  groups?: string[];
}

export interface Authenticator {
  /** The caller before impersonation; throws 401 for a missing or unknown token (unless insecure). */
  authenticate(request: IncomingMessage): Promise<SimUser>;
}

export const adminUser: SimUser = { name: 'kube-sim-admin', groups: ['system:masters', 'system:authenticated'] };

function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/**
 * Static bearer tokens, like kube-apiserver's --token-auth-file. With `insecure`, requests without a token
 * act as the admin (handy for curl); a wrong token is still refused.
 */
export function createTokenAuthenticator(options: {
  adminToken: string;
  users: SimUserConfig[];
  insecure: boolean;
  /** service account tokens (TokenRequest JWTs), tried before the static tokens */
  serviceAccountTokens?: Pick<ServiceAccountTokens, 'authenticate'>;
}): Authenticator {
  const byToken = new Map<string, SimUser>();
  byToken.set(options.adminToken, adminUser);
  for (const user of options.users) {
    byToken.set(user.token, { name: user.name, groups: [...new Set([...(user.groups ?? []), 'system:authenticated'])] });
  }
  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (!header) {
        if (options.insecure) return adminUser;
        throw unauthorized();
      }
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (!match) throw unauthorized();
      const token = match[1].trim();
      const user = byToken.get(token) ?? (await options.serviceAccountTokens?.authenticate(token));
      if (!user) throw unauthorized();
      return user;
    },
  };
}
