import { useEffect, useMemo, useState, type ReactNode } from 'react';

const COLLAPSED_LINES = 16;
const ansiColours: Record<string, string> = {
  '30': '#94a3b8', '31': '#f87171', '32': '#4ade80', '33': '#facc15', '34': '#60a5fa', '35': '#c084fc', '36': '#22d3ee', '37': '#e2e8f0',
  '90': '#94a3b8', '91': '#fca5a5', '92': '#86efac', '93': '#fde68a', '94': '#93c5fd', '95': '#d8b4fe', '96': '#67e8f9', '97': '#ffffff',
};

/** SGR colour codes → coloured spans; everything else of ANSI is dropped. */
function ansiSpans(text: string): Array<{ text: string; colour?: string; bold?: boolean }> {
  const spans: Array<{ text: string; colour?: string; bold?: boolean }> = [];
  let colour: string | undefined;
  let bold = false;
  const pattern = /\x1b\[([\d;]*)m/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match.index > last) spans.push({ text: text.slice(last, match.index), colour, bold });
    for (const code of (match[1] || '0').split(';')) {
      if (code === '0' || code === '39') colour = code === '0' ? undefined : undefined;
      if (code === '0') bold = false;
      if (code === '1') bold = true;
      if (ansiColours[code]) colour = ansiColours[code];
    }
    last = pattern.lastIndex;
  }
  if (last < text.length) spans.push({ text: text.slice(last), colour, bold });
  return spans;
}

/**
 * A terminal-style view of tool output: monospace, ANSI colours, long output collapsed behind "Show all".
 * `language` (e.g. yaml): highlighted as code when the text has no ANSI colours of its own. `actions`: extra
 * controls in the caption (a download…).
 */
export function TerminalOutput({ text, label, tone = 'normal', language, actions }: { text: string; label: string; tone?: 'normal' | 'error'; language?: string; actions?: ReactNode }) {
  const lines = useMemo(() => text.split('\n'), [text]);
  const [all, setAll] = useState(false);
  const long = lines.length > COLLAPSED_LINES;
  const shown = long && !all ? lines.slice(0, COLLAPSED_LINES).join('\n') : text;
  const spans = useMemo(() => ansiSpans(shown), [shown]);
  const [html, setHtml] = useState<string>();
  useEffect(() => {
    let live = true;
    setHtml(undefined);
    if (language && !text.includes('\x1b[')) void import('./highlight.ts').then((module) => live && setHtml(module.highlight(shown, language)));
    return () => {
      live = false;
    };
  }, [shown, language, text]);
  return (
    <figure className="overflow-hidden rounded-md border border-border">
      <figcaption className="flex items-center justify-between bg-panel-2 px-3 py-1 text-xs text-muted">
        <span>{label}</span>
        <span className="flex items-center gap-3">
          {actions}
          <span>
            {lines.length} line{lines.length === 1 ? '' : 's'}
          </span>
        </span>
      </figcaption>
      <pre tabIndex={0} aria-label={label} className={`max-h-[28rem] overflow-auto bg-term-bg p-3 font-mono text-xs leading-5 ${tone === 'error' ? 'text-red-300' : 'text-term-fg'}`}>
        {html !== undefined ? (
          // highlight.js escapes the text it is given
          <code data-language={language} dangerouslySetInnerHTML={{ __html: html }} />
        ) : (
          spans.map((span, index) => (
            <span key={index} style={{ color: span.colour, fontWeight: span.bold ? 600 : undefined }}>
              {span.text}
            </span>
          ))
        )}
      </pre>
      {long ? (
        <button type="button" onClick={() => setAll(!all)} className="w-full bg-panel-2 px-3 py-1 text-left text-xs font-medium text-accent hover:underline">
          {all ? 'Show less' : `Show all (${lines.length} lines)`}
        </button>
      ) : null}
    </figure>
  );
}
