/**
 * Which failures mean "the database is down, retry later" (503 + Retry-After, STORAGE_UNAVAILABLE in a run) rather
 * than "the database refused this" (issue 32 item 1): the driver's errors as node-postgres throws them, bare or
 * wrapped by Drizzle, and the name a message gives the database (never its password).
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { SkyfloError } from '../errors/skyflo-error.ts';
import { DatabaseUnavailableError, describePostgres, isDatabaseUnavailable, unavailableReason } from './database-unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
/** an engine error about another service (a Teams connector call), over the socket error that caused it */
class ServiceCallError extends SkyfloError {
  readonly code = 'TEAMS_API_ERROR';
}
const serviceDown = new ServiceCallError('Teams member failed: unreachable', { cause: new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED') }) });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection (server stopped)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET'), true],
    ['the server shutting sessions down (57P01)', withCode('terminating connection due to administrator command', '57P01'), true],
    ['a server still starting (57P03)', withCode('the database system is starting up', '57P03'), true],
    ['a connection exception (class 08)', withCode('connection failure', '08006'), true],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300'), true],
    ['the socket closing under a query', new Error('Connection terminated unexpectedly'), true],
    ['a client already broken', new Error('Client has encountered a connection error and is not queryable'), true],
    ['the pool timing out on connect', new Error('timeout exceeded when trying to connect'), true],
    ['localhost refused on every address', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')]), true],
    ['any of those under Drizzle', new DrizzleQueryError('select 1', [], withCode('terminating connection due to administrator command', '57P01')), true],
    ['a value refused (22P02)', new DrizzleQueryError('update x set y = $1', ['secret'], withCode('invalid input syntax for type json', '22P02')), false],
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', '23505'), false],
    ['wrong credentials (28P01): a configuration error, not an outage', withCode('password authentication failed for user "skyflo"', '28P01'), false],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')"), false],
    // issue 74: a Teams connector outage was answered "the database is unavailable"
    ['another service unreachable, said by the engine error about it', serviceDown, false],
    ['the engine saying the database is unreachable, over the socket error', new DatabaseUnavailableError('Postgres is unreachable', { cause: withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED') }), true],
    ['not an error at all', 'ECONNREFUSED', false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });
});

describe('unavailableReason', () => {
  it.each([
    ['the driver words, not Drizzle query text and parameters', new DrizzleQueryError('update x set y = $1', ['hunter2'], withCode('terminating connection due to administrator command', '57P01')), 'terminating connection due to administrator command'],
    ['the first refused address', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), 'connect ECONNREFUSED ::1:5432'],
  ])('%s', (_name, error, expected) => {
    expect(unavailableReason(error)).toBe(expected);
  });
});

describe('describePostgres', () => {
  it.each([
    ['postgres://skyflo:hunter2@db.internal:6432/skyflo?sslmode=require', 'Postgres at db.internal:6432/skyflo'],
    ['postgresql://skyflo@db.internal/skyflo', 'Postgres at db.internal:5432/skyflo'],
    ['postgres://127.0.0.1:5432', 'Postgres at 127.0.0.1:5432'],
    ['not a url', 'Postgres'],
  ])('%s → %s', (url, expected) => {
    expect(describePostgres(url)).toBe(expected);
  });
});
