import { estimateTokens } from './token-count.ts';

/**
 * Imitates OpenAI's automatic prompt caching so benchmarks can see `cached_tokens`: prompts of 1024 tokens or more reuse
 * the longest prefix shared with an earlier prompt, counted in 128-token steps.
 */
export function createPromptCache(limit = 32) {
  const recent: string[] = [];
  return {
    cachedTokens(prompt: string): number {
      let shared = 0;
      for (const earlier of recent) {
        const max = Math.min(earlier.length, prompt.length);
        let index = 0;
        while (index < max && earlier.charCodeAt(index) === prompt.charCodeAt(index)) index += 1;
        shared = Math.max(shared, index);
      }
      recent.push(prompt);
      if (recent.length > limit) recent.shift();
      if (estimateTokens(prompt) < 1024) return 0;
      return Math.floor(Math.floor(shared / 4) / 128) * 128;
    },
    clear(): void {
      recent.length = 0;
    },
  };
}
