/** Accounts and tokens (spec §1/§8, with the fixes listed in the engine issue). */
import { z } from 'zod';
import { booleanFlag } from './boolean-flag.ts';

export const authConfigSchema = z
  .object({
    /**
     * HS256 signing key for access tokens (JWT_SECRET_FILE supported). Unset → generated once and kept in
     * SKYFLO_DATA_DIR, so tokens survive restarts without anyone choosing a weak default.
     */
    JWT_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)')
      .refine((value) => value !== 'CHANGE_ME_IN_PRODUCTION', 'is the documented placeholder; set a real secret or unset it')
      .optional(),
    /** Lifetime of an access token. */
    JWT_ACCESS_TOKEN_EXPIRE_MINUTES: z.coerce.number().int().positive().default(15),
    /** Lifetime of a refresh token (each use rotates it). */
    JWT_REFRESH_TOKEN_EXPIRE_DAYS: z.coerce.number().int().positive().default(7),
    /** After the first (admin) account exists, allow anyone to register a member account. */
    ALLOW_REGISTRATION: booleanFlag.default(false),
    /** Failed logins allowed per IP+email within LOGIN_RATE_LIMIT_WINDOW_SECONDS before answering 429. */
    LOGIN_RATE_LIMIT_ATTEMPTS: z.coerce.number().int().positive().default(10),
    /** Window for LOGIN_RATE_LIMIT_ATTEMPTS and LOGIN_RATE_LIMIT_ADDRESS_ATTEMPTS. */
    LOGIN_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
    /**
     * Failed logins allowed per client address across all accounts within the window: stops one address spraying
     * passwords over many accounts (each of which stays under LOGIN_RATE_LIMIT_ATTEMPTS).
     */
    LOGIN_RATE_LIMIT_ADDRESS_ATTEMPTS: z.coerce.number().int().positive().default(20),
  })
  .transform((env) => ({
    jwtSecret: env.JWT_SECRET,
    accessTokenMinutes: env.JWT_ACCESS_TOKEN_EXPIRE_MINUTES,
    refreshTokenDays: env.JWT_REFRESH_TOKEN_EXPIRE_DAYS,
    allowRegistration: env.ALLOW_REGISTRATION,
    loginRateLimit: { attempts: env.LOGIN_RATE_LIMIT_ATTEMPTS, windowMs: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000 },
    loginAddressRateLimit: { attempts: env.LOGIN_RATE_LIMIT_ADDRESS_ATTEMPTS, windowMs: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000 },
  }));

export type AuthConfig = z.output<typeof authConfigSchema>;
