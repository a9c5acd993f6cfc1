/**
 * Slack's click signatures are accepted once, remembered in the database (issue 24), and pruned once they are older
 * than Slack's 5-minute tolerance allows (twice it, for clock skew between engine processes): the settings rows of old
 * signatures disappear, while a replay within the window is still refused. On PGlite and on Postgres, where a second
 * Storage on the same database stands in for another engine process. The clock is the verifier's own, moved by the
 * test.
 */
import { slackSignature } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackRequestVerifier, SLACK_SIGNATURE_PREFIX } from '../../src/adapters/chat/slack/slack-request-verifier.ts';
import { storageBackends, type StorageBackend } from '../storage/harness.ts';

const SECRET = 'slack-signing-secret-prune-0123456789';
/** a fixed Slack timestamp (seconds) the test's clock starts at */
const T0 = 1_800_000_000;

function signedClick(timestamp: number, userId: string) {
  const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: userId }, actions: [{ action_id: 'approve', value: '{}' }] }) }).toString();
  return { body, headers: { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SECRET, timestamp, body) } };
}

describe.each(['pglite', 'postgres'])('Slack click signatures on %s', (driver) => {
  let backend: StorageBackend;
  beforeAll(async () => {
    backend = await storageBackends[driver]!();
  });
  afterAll(async () => {
    await backend?.close();
  });

  const claimedTimestamps = async () =>
    ((await backend.query('SELECT key FROM settings WHERE key LIKE $1 ORDER BY key', [`${SLACK_SIGNATURE_PREFIX}%`])) as Array<{ key: string }>).map((row) => Number(row.key.slice(SLACK_SIGNATURE_PREFIX.length).split('.')[0]));

  it('prunes signatures older than the tolerance; a replay within the window is still refused, on any engine process', async () => {
    let nowSeconds = T0;
    const now = () => new Date(nowSeconds * 1000);
    const engine = createSlackRequestVerifier({ settings: backend.storage.settings, now });
    const other = createSlackRequestVerifier({ settings: (backend.secondProcess ?? backend.storage).settings, now });
    const verify = (verifier: typeof engine, click: ReturnType<typeof signedClick>) => verifier.verify(SECRET, click.headers, click.body);

    const first = signedClick(T0, 'U_ANN');
    expect(await verify(engine, first)).toBeUndefined();
    expect(await claimedTimestamps()).toEqual([T0]);

    // within Slack's 5 minutes: the same click is a replay, on this engine and on another one
    nowSeconds = T0 + 299;
    expect(await verify(engine, first)).toBe('this signed request was already received (a replay)');
    expect(await verify(other, first)).toBe('this signed request was already received (a replay)');
    const second = signedClick(nowSeconds, 'U_BOB');
    expect(await verify(other, second)).toBeUndefined();
    expect(await claimedTimestamps()).toEqual([T0, T0 + 299]);

    // ten minutes on: the next click prunes the first signature (no timestamp check accepts it any more) and keeps
    // the one still within twice the tolerance
    nowSeconds = T0 + 601;
    const third = signedClick(nowSeconds, 'U_ANN');
    expect(await verify(engine, third)).toBeUndefined();
    expect(await claimedTimestamps()).toEqual([T0 + 299, T0 + 601]);
    // the pruned click stays refused (by its timestamp), and the kept ones are still replays
    expect(await verify(engine, first)).toBe('the request timestamp is more than 5 minutes away (a replay, or a wrong clock)');
    expect(await verify(other, third)).toBe('this signed request was already received (a replay)');
    expect(await verify(engine, second)).toBe('the request timestamp is more than 5 minutes away (a replay, or a wrong clock)');
  });
});
