/**
 * The engine's problems and hints are written for a terminal as well as for this page ("Pass --kubeconfig <file>, …
 * `npm run sandbox` (or `skyflo sandbox`) serves it …"). Shown as they are, the page printed the backticks and
 * broke "--kubeconfig" after its dashes on a phone. These are the spans of such a text: what is quoted in backticks
 * and the command-line flags (with a "<placeholder>" argument) are commands, shown as code and never broken.
 */
export interface TextSpan {
  text: string;
  command: boolean;
}

const commands = /`([^`\n]+)`|(?<![\w-])(--[a-z][\w-]*(?: <[\w-]+>)?)/g;

export function commandSpans(text: string): TextSpan[] {
  const spans: TextSpan[] = [];
  let from = 0;
  for (const match of text.matchAll(commands)) {
    if (match.index > from) spans.push({ text: text.slice(from, match.index), command: false });
    spans.push({ text: match[1] ?? match[2]!, command: true });
    from = match.index + match[0].length;
  }
  if (from < text.length) spans.push({ text: text.slice(from), command: false });
  return spans;
}
