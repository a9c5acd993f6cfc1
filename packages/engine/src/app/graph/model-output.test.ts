/**
 * Issue 31 items 5 and 11, the pure parts: what the model writes is made well-formed (a lone surrogate or NUL becomes
 * U+FFFD, a pair split across streamed chunks stays whole), its answer is redacted as it streams and as it is kept,
 * titles are redacted, and team events are redacted again before they leave for Slack and webhooks.
 */
import { describe, expect, it } from 'vitest';
import { clampTitle, parseTitleReply } from '../agent/generate-title.ts';
import { createAnswerStream, createWellFormedStream, redactAnswer, wellFormedText, wellFormedValue } from './model-output.ts';
import { createTeamEventDispatcher as createRunEventNotifier } from '../team-events/team-event-dispatcher.ts';
import type { TeamEvent } from '../team-events/team-event.ts';

describe('well-formed model output', () => {
  it.each([
    ['a lone high surrogate', 'a\ud800b', 'a\uFFFDb'],
    ['a lone low surrogate', 'a\udc00b', 'a\uFFFDb'],
    ['a high surrogate at the end', 'end\ud83d', 'end\uFFFD'],
    ['a NUL', 'a\u0000b', 'a\uFFFDb'],
    ['a surrogate pair (kept)', 'ok \ud83d\ude00 done', 'ok \ud83d\ude00 done'],
    ['plain text (kept)', 'web runs 2/2', 'web runs 2/2'],
  ])('%s', (_case, input, expected) => {
    expect(wellFormedText(input)).toBe(expected);
  });

  it('tool arguments: every string and key, at any depth; numbers and booleans as they were', () => {
    expect(wellFormedValue({ name: 'web\ud800', labels: { 'k\udc00': ['a\u0000', 3, true, null] } })).toEqual({ name: 'web\uFFFD', labels: { 'k\uFFFD': ['a\uFFFD', 3, true, null] } });
  });

  it.each([
    ['a pair split across two chunks stays whole', ['smile \ud83d', '\ude00 done'], 'smile \ud83d\ude00 done'],
    ['a high surrogate followed by text is replaced', ['bad \ud800', 'x'], 'bad \uFFFDx'],
    ['a high surrogate at the very end is replaced', ['bad \ud800'], 'bad \uFFFD'],
  ])('streamed: %s', (_case, chunks, expected) => {
    const stream = createWellFormedStream();
    const pieces = [...chunks.map((chunk) => stream.push(chunk)), stream.flush()];
    expect(pieces.join('')).toBe(expected);
    for (const piece of pieces) expect(wellFormedText(piece)).toBe(piece);
  });
});

describe('the answer as streamed and as kept', () => {
  const proposed = 'ProposedPw-4471xyz';
  const answer = `I stored ${proposed} in the Secret; connect with postgres://app:UrlPw4471@db/app \ud800 now.`;
  const expected = 'I stored [REDACTED] in the Secret; connect with postgres://app:[REDACTED]@db/app \uFFFD now.';

  it('kept: the values the model proposed, the rules and well-formedness', () => {
    expect(redactAnswer(answer, [proposed])).toBe(expected);
  });

  it('streamed in 3-character chunks: the same text, no piece with a secret', () => {
    const stream = createAnswerStream([proposed]);
    const pieces = [...(answer.match(/[\s\S]{1,3}/g) ?? []).map((chunk) => stream.push(chunk)), stream.flush()];
    expect(pieces.join('')).toBe(expected);
    for (const piece of pieces) expect(piece).not.toMatch(/ProposedPw|UrlPw4471|[\ud800-\udfff]/);
  });
});

describe('titles', () => {
  it.each([
    ['a model title with a password', '{"title": "Set password=TitlePw4471 on db"}', 'Set password=[REDACTED] on db'],
    ['a model title with a GitHub token', `{"title": "Rotate ${['ghp_', 'TitleFakeToken4471abcdefghijklmnopqr'].join('')}"}`, 'Rotate [REDACTED]'],
    ['a plain title', '{"title": "Scale web to five replicas"}', 'Scale web to five replicas'],
  ])('%s', (_case, reply, expected) => {
    expect(parseTitleReply(reply)).toBe(expected);
  });

  it('a fallback title made from the user message is redacted too', () => {
    expect(clampTitle('connect postgres://app:FallbackPw4471@db/app')).toBe('connect postgres://app:[REDACTED]@db/app');
  });
});

describe('team events leaving for Slack and webhooks', () => {
  it('are redacted again: conclusion, title, summary and reason', async () => {
    const delivered: TeamEvent[] = [];
    const notifier = createRunEventNotifier({
      conversations: { get: async () => undefined },
      approvals: { get: async () => undefined },
      users: { list: async () => [] },
      hub: { publish: async () => {} } as never,
      sinks: () => [{ name: 'recorder', deliver: async (event) => void delivered.push(event) }],
      policy: { policy: 'any', fourEyes: false } as never,
      conversationUrl: (id) => `http://skyflo.test/c/${id}`,
    });
    notifier.announce({
      type: 'alert.investigated',
      at: 1,
      conversation_id: 'c1',
      conversation_url: 'http://skyflo.test/c/c1',
      conversation_title: 'Alert: password=TitleLeak4471',
      conclusion: 'The runner has machine git.example.com login ci password ConclusionLeak4471 in its .netrc.',
      summary: 'uses token ghp_SummaryLeak4471abcdefghijklmnopqrstuv',
      reason: 'mysql -u root -pReasonLeak4471',
    });
    await notifier.flush();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      conversation_title: 'Alert: password=[REDACTED]',
      conclusion: 'The runner has machine git.example.com login ci password [REDACTED] in its .netrc.',
      reason: 'mysql -u root -p[REDACTED]',
    });
    expect(JSON.stringify(delivered)).not.toMatch(/Leak4471/);
  });
});
