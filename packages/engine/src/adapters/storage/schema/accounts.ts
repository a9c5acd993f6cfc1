/** People and what they sign in with: users, refresh tokens, API tokens, passkeys and device keys. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { instant } from './columns.ts';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  hashedPassword: text('hashed_password').notNull(),
  fullName: text('full_name'),
  role: varchar('role', { length: 20 }).notNull().default('member'),
  isActive: boolean('is_active').notNull().default(true),
  isSuperuser: boolean('is_superuser').notNull().default(false),
  isVerified: boolean('is_verified').notNull().default(false),
  // Bumped by a password change; access tokens carry it, so tokens issued before the change stop working.
  sessionVersion: integer('session_version').notNull().default(0),
  /** clusters and namespaces this member may touch (protocol memberScopeSchema); null = everything */
  scope: jsonb('scope').$type<{ clusters?: string[]; namespaces?: string[] }>(),
  /**
   * Issue 35: the person at the identity provider this account is (the ID token's iss and sub). Emails change and can
   * be reassigned; (iss, sub) never is, so a sign-in finds its account by these first (unique together).
   */
  oidcIssuer: text('oidc_issuer'),
  oidcSubject: text('oidc_subject'),
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
}, (table) => [uniqueIndex('users_oidc_identity_idx').on(table.oidcIssuer, table.oidcSubject).where(sql`${table.oidcSubject} IS NOT NULL`)]);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** sha-256 (hex) of the token; the token itself is never stored */
    tokenHash: text('token_hash').notNull().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** every rotation keeps the family; reuse of a rotated token revokes the whole family */
    familyId: uuid('family_id').notNull(),
    expiresAt: instant('expires_at').notNull(),
    rotatedAt: instant('rotated_at'),
    revokedAt: instant('revoked_at'),
    /** issue 74 item 7: a provider session's refresh token at the identity provider, sealed (absent: a password session) */
    providerSessionSealed: text('provider_session_sealed'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [index('refresh_tokens_family_idx').on(table.familyId), index('refresh_tokens_user_idx').on(table.userId)],
);

/**
 * API tokens for automation (POST /auth/tokens): only the sha-256 of the token is stored; `prefix` (its first
 * characters) tells tokens apart in lists. A token acts as its owner, within its scopes.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: varchar('prefix', { length: 16 }).notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    expiresAt: instant('expires_at').notNull(),
    lastUsedAt: instant('last_used_at'),
    revokedAt: instant('revoked_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (table) => [index('api_tokens_user_idx').on(table.userId)],
);

/**
 * Passkeys (issue 35): WebAuthn credentials a user registered to sign risky approvals. The public key (COSE, base64url)
 * is the trust anchor a passkey approval is checked against; `counter` is the authenticator's signature counter.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** base64url credential id */
    credentialId: text('credential_id').notNull().unique(),
    /** base64url COSE public key */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull().default(0),
    transports: jsonb('transports').$type<string[]>().notNull().default([]),
    createdAt: instant('created_at').notNull().defaultNow(),
    lastUsedAt: instant('last_used_at'),
  },
  (table) => [index('passkeys_user_idx').on(table.userId)],
);

/**
 * Device keys (issue 35 item 4): Ed25519 public keys (SPKI DER, base64url) `skyflo chat` signs approvals with; a key
 * counts only once `status` is active, which a passkey assertion over its fingerprint (`confirmed_with`) made it.
 */
export const deviceKeys = pgTable(
  'device_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    publicKey: text('public_key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: text('status').$type<'pending' | 'active'>().notNull().default('pending'),
    confirmedWith: jsonb('confirmed_with').$type<Record<string, unknown>>(),
    createdAt: instant('created_at').notNull().defaultNow(),
    confirmedAt: instant('confirmed_at'),
  },
  (table) => [index('device_keys_user_idx').on(table.userId)],
);
