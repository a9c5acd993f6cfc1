/**
 * Where the suites find the shared Postgres and Redis of the machine, and how they name what they create there, so
 * that two checkouts on one CI host (or two CI jobs sharing a database server) never touch each other's databases or
 * keys. Read once per call from the environment (the README's test section documents the variables):
 *
 * - `TEST_POSTGRES_URL`: an admin URL of the server (it may CREATE/DROP DATABASE); default
 *   `postgres://postgres@127.0.0.1:5432/postgres`. Databases of a suite are made on this server, by name.
 * - `TEST_REDIS_URL`: default `redis://127.0.0.1:6379/0`.
 * - `TEST_DB_PREFIX`: starts every database name and Redis key prefix the suites make; default
 *   `skyflo_test_<8 hex of the checkout's path>_`, so two checkouts differ even with no variable set.
 *
 * Pure: no connection is opened here (the `unit` test project checks the naming without a server).
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Env = Record<string, string | undefined>;

/** the checkout this file is in: the default prefix is derived from it */
const checkoutRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
/** Postgres identifiers are at most 63 bytes; 12 hex of randomness and a label follow the prefix. */
const MAX_PREFIX_LENGTH = 40;

const unset = (value: string | undefined): value is undefined => value === undefined || value.trim() === '';

/** The admin URL of the shared Postgres server (TEST_POSTGRES_URL). */
export function testPostgresAdminUrl(env: Env = process.env): string {
  const value = env['TEST_POSTGRES_URL'];
  if (unset(value)) return DEFAULT_POSTGRES_URL;
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error('TEST_POSTGRES_URL must start with postgres:// or postgresql://');
  return value.trim();
}

/** The same server as TEST_POSTGRES_URL, another database, optionally another login (its password is not kept). */
export function testPostgresUrl(database: string, options: { user?: string } = {}, env: Env = process.env): string {
  const url = new URL(testPostgresAdminUrl(env));
  url.pathname = `/${database}`;
  if (options.user !== undefined) {
    url.username = options.user;
    url.password = '';
  }
  return url.toString();
}

/** The shared Redis (TEST_REDIS_URL). */
export function testRedisUrl(env: Env = process.env): string {
  const value = env['TEST_REDIS_URL'];
  if (unset(value)) return DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\//.test(value)) throw new Error('TEST_REDIS_URL must start with redis:// or rediss://');
  return value.trim();
}

/**
 * What every database and Redis key the suites create starts with: TEST_DB_PREFIX, or one derived from the checkout's
 * path (another checkout, another prefix). Lower-case letters, digits and `_`, so it is a Postgres name as it is.
 */
export function testNamePrefix(env: Env = process.env, checkout: string = checkoutRoot): string {
  const value = env['TEST_DB_PREFIX'];
  if (unset(value)) return `skyflo_test_${createHash('sha256').update(path.resolve(checkout)).digest('hex').slice(0, 8)}_`;
  const prefix = value.trim();
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix) || prefix.length > MAX_PREFIX_LENGTH) {
    throw new Error(`TEST_DB_PREFIX must be at most ${MAX_PREFIX_LENGTH} lower-case letters, digits or _, starting with a letter or _ (got "${prefix}")`);
  }
  return prefix;
}

/** A fresh database name under the prefix: `<prefix><label>_<12 hex>` (label optional). */
export function testDatabaseName(label = '', env: Env = process.env, checkout: string = checkoutRoot): string {
  if (label !== '' && !/^[a-z0-9_]+$/.test(label)) throw new Error(`a database label is lower-case letters, digits or _ (got "${label}")`);
  return `${testNamePrefix(env, checkout)}${label === '' ? '' : `${label}_`}${randomBytes(6).toString('hex')}`;
}

/** A fresh Redis key prefix under the same name prefix: `<prefix><label>-<12 hex>:`. */
export function testRedisKeyPrefix(label = 'bus', env: Env = process.env, checkout: string = checkoutRoot): string {
  return `${testNamePrefix(env, checkout)}${label}-${randomBytes(6).toString('hex')}:`;
}
