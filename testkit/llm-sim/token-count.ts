/**
 * Deterministic token estimate (~4 characters per token, the usual rule of thumb for English and JSON).
 * Exact tokenizer parity is not the goal: benchmarks compare prompt sizes between requests, so the estimate only has to
 * be stable and proportional to what was sent.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Splits reply text into streamable pieces: words with their leading space, long words cut in 8-character parts. */
export function splitIntoTokens(text: string): string[] {
  const pieces: string[] = [];
  for (const word of text.match(/\s*\S+|\s+/g) ?? []) {
    for (let start = 0; start < word.length; start += 8) pieces.push(word.slice(start, start + 8));
  }
  return pieces;
}

/** Splits tool-call arguments into fragments so clients must reassemble them, as with real providers. */
export function splitArguments(text: string, fragmentCount = 3): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / fragmentCount));
  const fragments: string[] = [];
  for (let start = 0; start < text.length; start += size) fragments.push(text.slice(start, start + size));
  return fragments;
}

const benchmarkWords = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit'];

/** N generated tokens for benchmark mode; each piece counts as exactly one completion token. */
export function benchmarkTokens(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${index === 0 ? '' : ' '}${benchmarkWords[index % benchmarkWords.length]}`);
}
