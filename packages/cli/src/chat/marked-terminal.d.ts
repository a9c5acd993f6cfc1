// marked-terminal ships no types (and @types/marked-terminal pins marked < 12); only what markdown.ts uses.
declare module 'marked-terminal' {
  export function markedTerminal(options?: Record<string, unknown>, highlightOptions?: Record<string, unknown>): unknown;
}
