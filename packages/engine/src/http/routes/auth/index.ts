import { adminUpdateUserRequestSchema, passwordChangeRequestSchema, registerRequestSchema, updateMeRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AccountError } from '../../../app/accounts/account-error.ts';
import type { AccountService } from '../../../app/accounts/account-service.ts';
import type { User } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { clearSessionCookies, REFRESH_TOKEN_COOKIE, setSessionCookies } from '../../plugins/session-cookies.ts';

export interface AuthRouteDeps {
  accounts: AccountService;
  accessTokenTtlSeconds: number;
}

/** UserRead of spec §1 (snake_case wire format). */
export function toUserRead(user: User) {
  return {
    id: user.id,
    email: user.email,
    full_name: user.fullName,
    is_active: user.isActive,
    is_superuser: user.isSuperuser,
    is_verified: user.isVerified,
    role: user.role,
    created_at: user.createdAt.toISOString(),
    ...(user.scope ? { scope: user.scope } : {}),
  };
}

const loginFormSchema = z.object({
  username: z.string({ error: 'username (your email) is required' }).min(1, 'username (your email) is required'),
  password: z.string({ error: 'password is required' }).min(1, 'password is required'),
});

// `role` and other unknown fields are dropped, never applied: nobody chooses their own role.
const registerSchema = registerRequestSchema.strip();
const updateMeSchema = z.object(updateMeRequestSchema.shape);
const userParamsSchema = z.object({ id: z.union([z.literal('me'), z.uuid('id must be a user id (UUID) or "me"')]) });
const refreshBodySchema = z.object({ refresh_token: z.string().min(1).optional() }).optional();

function asHttpError(error: unknown): unknown {
  return error instanceof AccountError ? new HttpError(error.statusCode, error.message, error.code) : error;
}

/** spec §1 auth routes, with rotation and family revocation on refresh tokens and closed self-registration. */
export const authRoutes: FastifyPluginAsync<AuthRouteDeps> = async (app, { accounts, accessTokenTtlSeconds }) => {
  const open = { config: { public: true } };
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asHttpError(error);
    }
  };
  const refreshTokenFrom = (request: FastifyRequest) =>
    request.cookies[REFRESH_TOKEN_COOKIE] || parseInput(refreshBodySchema, request.body ?? undefined)?.refresh_token;

  app.post('/auth/jwt/login', open, async (request, reply) => {
    const form = parseInput(loginFormSchema, request.body);
    const session = await run(() => accounts.login({ email: form.username, password: form.password, ip: request.ip }));
    setSessionCookies(request, reply, {
      accessToken: session.accessToken,
      accessTtlSeconds: accessTokenTtlSeconds,
      refreshToken: session.refresh.token,
      refreshTtlSeconds: session.refresh.expiresInSeconds,
    });
    return { access_token: session.accessToken, token_type: 'bearer' };
  });

  app.post('/auth/register/register', open, async (request, reply) => {
    const input = parseInput(registerSchema, request.body);
    const user = await run(() =>
      accounts.register({ email: input.email, password: input.password, fullName: input.full_name ?? null, ip: request.ip, ...(input.setup_token ? { setupToken: input.setup_token } : {}) }),
    );
    return reply.code(201).send(toUserRead(user));
  });

  app.get('/auth/is_admin_user', open, async (request) => {
    const pending = await accounts.isFirstUserPending();
    // Only whether a cookie came, never whether it is valid: a signed-out visitor is told without a 401 (UI: useMe).
    const hasSession = Boolean(request.cookies.auth_token || request.cookies[REFRESH_TOKEN_COOKIE]);
    return { is_admin: pending, setup_token_required: pending && accounts.setupTokenRequired, ...(hasSession ? { has_session: true as const } : {}) };
  });

  app.get('/auth/me', async (request) => toUserRead(await run(() => accounts.me(request.user.id))));

  app.patch('/auth/me', async (request) => {
    const patch = parseInput(updateMeSchema, request.body);
    const user = await run(() => accounts.updateProfile(request.user.id, { ...(patch.full_name !== undefined ? { fullName: patch.full_name } : {}) }));
    return { id: user.id, email: user.email, full_name: user.fullName };
  });

  app.patch('/auth/users/me/password', async (request) => {
    const input = parseInput(passwordChangeRequestSchema, request.body);
    await run(() => accounts.changePassword({ userId: request.user.id, currentPassword: input.current_password, newPassword: input.new_password, ip: request.ip }));
    return { message: 'Password updated successfully' };
  });

  app.post('/auth/refresh/issue', async (request, reply) => {
    const refresh = await accounts.issueRefreshToken(request.user.id);
    const accessToken = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || request.cookies.auth_token || '';
    setSessionCookies(request, reply, { accessToken, accessTtlSeconds: accessTokenTtlSeconds, refreshToken: refresh.token, refreshTtlSeconds: refresh.expiresInSeconds });
    return { refresh_token: refresh.token, expires_in: refresh.expiresInSeconds };
  });

  app.post('/auth/refresh', open, async (request, reply) => {
    const token = refreshTokenFrom(request);
    try {
      if (!token) throw new HttpError(401, 'No refresh token: send the refresh_token cookie (or {"refresh_token"}), or log in again');
      const session = await run(() => accounts.refresh({ token, ip: request.ip }));
      setSessionCookies(request, reply, {
        accessToken: session.accessToken,
        accessTtlSeconds: accessTokenTtlSeconds,
        refreshToken: session.refresh.token,
        refreshTtlSeconds: session.refresh.expiresInSeconds,
      });
      return { access_token: session.accessToken, token_type: 'bearer', refresh_token: session.refresh.token, user: toUserRead(session.user) };
    } catch (error) {
      clearSessionCookies(reply);
      throw error;
    }
  });

  // /auth/jwt/logout is the fastapi-users path Skyflo clients call; both end the refresh-token family of the cookie.
  for (const url of ['/auth/logout', '/auth/jwt/logout']) {
    app.post(url, open, async (request, reply) => {
      const token = refreshTokenFrom(request);
      await accounts.logout({ ip: request.ip, ...(token ? { token } : {}) });
      clearSessionCookies(reply);
      return { success: true };
    });
  }

  // fastapi-users' /users/{id}: admins only; "me" is the caller.
  const targetId = (request: FastifyRequest) => {
    const { id } = parseInput(userParamsSchema, request.params, 'params');
    return id === 'me' ? request.user.id : id;
  };

  app.get('/auth/users/:id', async (request) => toUserRead(await run(() => accounts.getUser({ actor: request.user, userId: targetId(request) }))));

  app.patch('/auth/users/:id', async (request) => {
    const userId = targetId(request);
    const patch = parseInput(adminUpdateUserRequestSchema, request.body);
    const user = await run(() =>
      accounts.updateUserAccess({
        actor: request.user,
        userId,
        ip: request.ip,
        patch: {
          ...(patch.role !== undefined ? { role: patch.role } : {}),
          ...(patch.is_active !== undefined ? { isActive: patch.is_active } : {}),
          ...(patch.full_name !== undefined ? { fullName: patch.full_name } : {}),
        },
      }),
    );
    return toUserRead(user);
  });
};
