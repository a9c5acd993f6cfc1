/**
 * Issue 31 item 5: the model's answer is redacted as it streams. Whatever the chunking, no piece shown (nor the
 * pieces joined) holds a secret, and the pieces joined are the redaction of the whole text.
 */
import { describe, expect, it } from 'vitest';
import { createTextStreamRedactor, redactText } from '../index.ts';

/** joins a vendor prefix and an obviously fake body at runtime (keeps secret scanners quiet) */
const fake = (...parts: string[]) => parts.join('');
const githubToken = fake('ghp_', 'FakeAnswerToken4471abcdefghijklmnop');
const googleKey = fake('AIza', 'SyFakeAnswerKey4471abcdefghijklmno-'); // ends in '-': no word boundary after it

const answers: Array<[string, string, string]> = [
  ['password=…', 'The app connects with password=AnswerPw4471xyz and retries twice.', 'AnswerPw4471xyz'],
  ['mysql -u root -p…', 'Run `mysql -u root -pAnswerMysql4471 -h db` to check the grants.', 'AnswerMysql4471'],
  ['credential URL', 'Point DATABASE_URL at postgres://app:AnswerUrlPw4471@db.prod:5432/app and restart.', 'AnswerUrlPw4471'],
  ['ghp_ token', `The pipeline uses ${githubToken} to clone.`, githubToken],
  ['bare Google API key', `Maps is configured with ${googleKey} in the frontend.`, googleKey],
  ['.netrc on one line', 'Your ~/.netrc has `machine git.example.com login deploy password AnswerNetrc4471` in it.', 'AnswerNetrc4471'],
  ['a quoted value of several words', 'Set it with `password: "correct horse AnswerStaple4471"` in values.yaml.', 'AnswerStaple4471'],
  ['a JSON answer (its layout kept)', '{"user": "app", "password": "AnswerJsonPw4471", "replicas": 3}', 'AnswerJsonPw4471'],
  ['.netrc over several lines', 'The .netrc reads:\n\n```\nmachine git.example.com\n  login deploy\n  password AnswerNetrcMulti4471\n```\n\nRotate it.', 'AnswerNetrcMulti4471'],
];

/** the text cut in pieces of `size` characters, the first one `first` long */
function chunked(text: string, first: number, size: number): string[] {
  return [text.slice(0, first), ...(text.slice(first).match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [])].filter(Boolean);
}

describe('createTextStreamRedactor', () => {
  it.each(answers)('%s: hidden in every piece at every split, and the pieces joined are the whole text redacted', (_shape, answer, secret) => {
    const whole = redactText(answer, { keepLayout: true });
    expect(whole).not.toContain(secret);
    expect(whole).toContain('[REDACTED]');
    for (let first = 1; first < answer.length; first += 1) {
      for (const size of [1, 3, 8]) {
        const redactor = createTextStreamRedactor();
        const pieces = [...chunked(answer, first, size).map((chunk) => redactor.push(chunk)), redactor.flush()];
        for (const piece of pieces) expect(piece).not.toContain(secret);
        expect(pieces.join('')).toBe(whole);
      }
    }
  });

  it('a paragraph streams word by word: a token is shown as soon as the next one shows its word is complete', () => {
    const redactor = createTextStreamRedactor();
    // tokens as models send them: a word with its leading space
    const tokens = 'The deployment web has three replicas and one of them is failing its readiness probe since the last rollout'.split(/(?= )/);
    let shown = '';
    let written = '';
    for (const [index, token] of tokens.entries()) {
      written += token;
      shown += redactor.push(token);
      // everything but the word being written: the previous token is never still held
      expect(shown).toBe(index === 0 ? '' : written.slice(0, written.length - token.length + 1));
    }
    expect(shown + redactor.flush()).toBe(written);
  });

  it('a long block streams in bursts of at most a sixteenth of what lies beyond its first 512 characters', () => {
    const redactor = createTextStreamRedactor();
    const words = Array.from({ length: 600 }, (_, index) => `word${index % 37} `);
    let shown = '';
    let written = '';
    let redactions = 0;
    for (const word of words) {
      written += word;
      const piece = redactor.push(word);
      if (piece) redactions += 1;
      shown += piece;
      expect(written.startsWith(shown)).toBe(true);
      if (written.length <= 512) expect(shown).toBe(written);
      expect(written.length - shown.length).toBeLessThanOrEqual(word.length + Math.max(1, Math.floor((written.length - 512) / 16)));
    }
    // word by word would redact the whole block 600 times; the bursts keep it far fewer
    expect(redactions).toBeLessThan(250);
    expect(shown + redactor.flush()).toBe(written);
  });

  it('a word longer than a block is released, redacted, once it passes the bound', () => {
    const redactor = createTextStreamRedactor({ maxBlockChars: 100 });
    const shown = (('x'.repeat(250)).match(/.{1,8}/g) ?? []).map((chunk) => redactor.push(chunk)).join('');
    expect(shown.length).toBeGreaterThanOrEqual(200);
    expect(shown + redactor.flush()).toBe('x'.repeat(250));
  });

  it('with a step, at most the word being written and that many characters more are held back', () => {
    const redactor = createTextStreamRedactor({ step: 24 });
    const words = 'The deployment web has three replicas and one of them is failing its readiness probe since the last rollout'.split(/(?<= )/);
    let shown = '';
    let written = '';
    for (const word of words) {
      written += word;
      shown += redactor.push(word);
      expect(written.length - shown.length).toBeLessThan(24 + word.length);
    }
    expect(shown + redactor.flush()).toBe(written);
  });

  it('a long answer is redacted a block at a time: every block is closed at its blank line and still redacted in context', () => {
    const paragraph = (index: number) => `Paragraph ${index} explains the rollout of web in namespace default and what changed.\n\n`;
    const answer = `${Array.from({ length: 40 }, (_, index) => paragraph(index)).join('')}machine git.example.com\nlogin ci\npassword LongAnswerNetrc4471\n`;
    const redactor = createTextStreamRedactor();
    const pieces = [...chunked(answer, 5, 4).map((chunk) => redactor.push(chunk)), redactor.flush()];
    expect(pieces.join('')).toBe(redactText(answer, { keepLayout: true }));
    expect(pieces.join('')).not.toContain('LongAnswerNetrc4471');
  });
});

describe('createTextStreamRedactor across blocks', () => {
  it('a long run of name/value pairs (blocks closed by size): the value after a block boundary keeps its name as context', () => {
    const text = Array.from({ length: 400 }, (_, index) => `name: password\nvalue: secret-${index}`).join('\n');
    const redactor = createTextStreamRedactor();
    const pieces = [...text.split(/(?<=\s)/).map((word) => redactor.push(word)), redactor.flush()];
    expect(pieces.join('')).not.toMatch(/secret-\d/);
    expect(pieces.join('')).toBe(redactText(text, { keepLayout: true }));
  });

  it('a blank line inside a code fence does not close the block; after the fence it does', () => {
    const answer = 'Apply this:\n\n```yaml\nkind: Secret\nmetadata:\n  name: db\n\nstringData:\n  password: FencedPw4471\n```\n\nThen restart.\n';
    const redactor = createTextStreamRedactor();
    const pieces = [...answer.split(/(?<=\s)/).map((word) => redactor.push(word)), redactor.flush()];
    for (const piece of pieces) expect(piece).not.toContain('FencedPw4471');
    expect(pieces.join('')).toBe(redactText(answer, { keepLayout: true }));
  });
});
