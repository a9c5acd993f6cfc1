/**
 * redactText on many sibling "name: password" / "value: …" pairs: the time for 2,000 and for 20,000 pairs, and their
 * ratio. Linear scanning shows ≈10× for 10× the input; the pair rule once scanned quadratically (≈100×, over 10 s for
 * 20,000 pairs). Moved here from review-redaction-text.test.ts, which asserts the redacted output only.
 * Then the same texts streamed word by word through createTextStreamRedactor (how a model's answer is redacted): it
 * redacts its open block again as the block grows, so it must stay linear too (it was quadratic in a block's length
 * when it redacted at every word).
 *   npx tsx bench/redaction-scaling.ts [runs=5]
 */
import { createTextStreamRedactor, redactText } from '@skyflo/safety';
import { printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

printBenchHeader('redaction-scaling', 'none (pure text redaction)');

const [runs] = benchArguments('npx tsx bench/redaction-scaling.ts [runs=5]', [{ name: 'runs', fallback: 5 }]).counts;
const pairs = (count: number) => Array.from({ length: count }, (_, index) => `name: password\nvalue: secret-${index}`).join('\n');

function measure(count: number): number {
  const text = pairs(count);
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const redacted = redactText(text);
    timings.push(performance.now() - started);
    if (/secret-\d/.test(redacted)) throw new Error(`a secret survived redaction of ${count} pairs`);
  }
  return median(timings);
}

measure(200); // warm-up
const small = measure(2_000);
const large = measure(20_000);
console.log(`redactText, median of ${runs}: 2,000 pairs ${small.toFixed(1)} ms, 20,000 pairs ${large.toFixed(1)} ms → ${(large / small).toFixed(1)}× for 10× the input (linear ≈ 10×, quadratic ≈ 100×)`);

function measureStream(count: number): number {
  const words = pairs(count).split(/(?<=\s)/);
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const redactor = createTextStreamRedactor();
    let shown = '';
    for (const word of words) shown += redactor.push(word);
    shown += redactor.flush();
    timings.push(performance.now() - started);
    if (/secret-\d/.test(shown)) throw new Error(`a secret survived stream redaction of ${count} pairs`);
  }
  return median(timings);
}

measureStream(50); // warm-up
const smallStream = measureStream(200);
const largeStream = measureStream(2_000);
console.log(`createTextStreamRedactor word by word, median of ${runs}: 200 pairs ${smallStream.toFixed(1)} ms, 2,000 pairs ${largeStream.toFixed(1)} ms → ${(largeStream / smallStream).toFixed(1)}× for 10× the input (linear ≈ 10×)`);

/**
 * A model's answer as it streams: 40 words of an SRE's answer, one push per word, as the engine redacts every
 * answer. Most rules' costly scans are skipped for a text their `requires` test shows they cannot match (issue 38;
 * the rule set ran in full at every word before). Fails if the redactor changed a word of an answer with no secret.
 */
const answer = 'The checkout deployment in prod is crash looping because the new image reads DATABASE_URL from a ConfigMap that was renamed in the last rollout. Pods checkout-7f9c and checkout-8a1b restarted 14 times in the last hour; the previous revision 41 ran fine, so roll back to it and fix the reference. ';
function measureAnswer(text: string): number {
  const answerWords = text.split(/(?<=\s)/).slice(0, 40);
  const expected = answerWords.join('');
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    for (let answerRun = 0; answerRun < 200; answerRun += 1) {
      const redactor = createTextStreamRedactor();
      let shown = '';
      for (const word of answerWords) shown += redactor.push(word);
      shown += redactor.flush();
      if (shown !== expected) throw new Error(`the streamed answer changed: ${JSON.stringify(shown)}`);
    }
    timings.push((performance.now() - started) / 200);
  }
  return median(timings);
}
/**
 * The same answer naming a command whose short flag can carry a password (mysql, redis-cli, docker login…): the
 * rules for those flags then run, and each once looked behind from every position of a line (quadratic in its length).
 */
const namingMysql = answer.replace('the new image', 'the mysql client in the new image');
measureAnswer(answer); // warm-up
const plainAnswer = measureAnswer(answer);
const mysqlAnswer = measureAnswer(namingMysql);
console.log(`a 40-word answer streamed word by word, median of ${runs}: ${plainAnswer.toFixed(3)} ms per answer (40 redactions of its open paragraph); naming mysql ${mysqlAnswer.toFixed(3)} ms, ${(mysqlAnswer / plainAnswer).toFixed(1)}×`);

/**
 * One line of prose naming mysql once, or every 42 characters, 1,000 and 10,000 characters long: linear ≈ 10×,
 * quadratic ≈ 100×.
 */
function measureLine(length: number, repeated = false): number {
  const prose = 'the replica lags behind its primary ';
  const line = (repeated ? `mysql ${prose}`.repeat(Math.ceil(length / 42)) : `mysql ${prose.repeat(Math.ceil(length / 36))}`).slice(0, length);
  const timings: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    if (redactText(line) !== line) throw new Error('a line with no secret was changed by redaction');
    timings.push(performance.now() - started);
  }
  return median(timings);
}
measureLine(1_000); // warm-up
for (const repeated of [false, true]) {
  const shortLine = measureLine(1_000, repeated);
  const longLine = measureLine(10_000, repeated);
  console.log(`redactText of one line naming mysql ${repeated ? 'every 42 characters' : 'once'}, median of ${runs}: 1,000 characters ${shortLine.toFixed(2)} ms, 10,000 ${longLine.toFixed(2)} ms → ${(longLine / shortLine).toFixed(1)}× for 10× the input (linear ≈ 10×, quadratic ≈ 100×)`);
}
