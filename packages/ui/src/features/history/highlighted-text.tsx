import type { ReactNode } from 'react';

/**
 * Text with its search matches marked (issue 37). The engine sends plain text and [start, end) ranges, never markup:
 * every piece is rendered as a React text node, so nothing stored in a conversation is ever parsed as HTML.
 */
export function HighlightedText({ text, ranges }: { text: string; ranges: ReadonlyArray<readonly [number, number]> }) {
  const parts: ReactNode[] = [];
  let at = 0;
  // sorted, clamped to the text and never overlapping, whatever the server sent
  for (const [rawStart, rawEnd] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const start = Math.max(at, Math.min(rawStart, text.length));
    const end = Math.min(rawEnd, text.length);
    if (end <= start) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(
      <mark key={start} data-testid="search-highlight" className="rounded-sm bg-accent/25 px-0.5 text-fg">
        {text.slice(start, end)}
      </mark>,
    );
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <>{parts}</>;
}
