/**
 * What a user reads when the storage or the event bus ends their run: which part failed, in the database's or bus's
 * own words, never the statement's parameters (the conversation's text), and what to do next.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { busFailureEvent, isStorageError, storageFailureEvent } from './run-failure.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const conversationText = 'please restart checkout, the password is hunter2';

describe('storageFailureEvent', () => {
  it('a full disk is STORAGE_FULL, names the disk and asks for space, without the refused statement', () => {
    const refused = new DrizzleQueryError('update conversations set timeline = $1', [conversationText], withCode('could not extend file "base/5/16427": No space left on device', '53100'));
    const event = storageFailureEvent(refused, 'PGlite in /data');
    expect(event.code).toBe('STORAGE_FULL');
    expect(event.error).toMatch(/^The disk holding the database \(PGlite in \/data\) is full \(the database said: .*No space left on device.*\), so this run was ended and nothing more was written\. Free space there/);
    expect(event.error).not.toContain('hunter2');
  });

  it('a database that went away is STORAGE_UNAVAILABLE, with its name and the driver\'s words', () => {
    const gone = new DrizzleQueryError('insert into runs values ($1)', [conversationText], withCode('terminating connection due to administrator command', '57P01'));
    const event = storageFailureEvent(gone, 'Postgres at 127.0.0.1:5432/skyflo');
    expect(event).toEqual({
      code: 'STORAGE_UNAVAILABLE',
      error: 'The database (Postgres at 127.0.0.1:5432/skyflo) became unavailable during this run (terminating connection due to administrator command), so it was ended. What was saved before is kept in the conversation; once GET /api/v1/health reports the database ok, reload the conversation and send your message again.',
    });
  });

  it('a statement the database refused repeats what the database said, not Drizzle\'s message with the parameters', () => {
    const refused = new DrizzleQueryError('update conversations set timeline = $1', [conversationText], withCode('invalid input syntax for type json', '22P02'));
    expect(refused.message).toContain('hunter2');
    const event = storageFailureEvent(refused, undefined);
    expect(event.code).toBe('STORAGE_UNAVAILABLE');
    expect(event.error).toBe(
      "The conversation could not be saved (the database said: invalid input syntax for type json), so this run was ended. Reload the conversation and send your message again; if it keeps failing, check the engine's database (GET /api/v1/health).",
    );
  });
});

describe('isStorageError', () => {
  it.each([
    ['a statement Drizzle ran and the database refused', new DrizzleQueryError('select 1', [], withCode('invalid input syntax for type json', '22P02')), true],
    ['a Drizzle error from another copy of the library (same name)', Object.assign(new Error('Failed query'), { name: 'DrizzleQueryError' }), true],
    ['the database unreachable', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), true],
    ['a tool or model failure', new Error('the model returned 500'), false],
    ['a message that only looks like a refused statement', new Error('Failed query: the model said so'), false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isStorageError(error)).toBe(expected);
  });
});

describe('busFailureEvent', () => {
  it('names Redis when Redis failed, the event bus otherwise', () => {
    expect(busFailureEvent(new Error('Redis connection lost: ECONNRESET'))).toEqual({
      code: 'EVENT_BUS_UNAVAILABLE',
      error: 'The event stream (Redis) failed during this run, so it was ended. Everything produced so far is saved in the conversation; reload it, and send your message again once the engine reports healthy.',
    });
    expect(busFailureEvent(new Error('publish refused')).error).toMatch(/^The event stream \(event bus\) failed during this run/);
  });
});
