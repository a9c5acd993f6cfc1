/**
 * A runbook file: Markdown with optional YAML front matter. The matching format (docs/runbooks.md):
 *
 *   ---
 *   title: Pod crash looping          # default: the first `# heading`, else the name
 *   alerts: [KubePodCrashLooping]     # Alertmanager alert names (alertname)
 *   labels: { team: web }             # label values an alert must carry (every one listed)
 *   kinds: [Deployment, Pod]          # resource kinds it is about
 *   ---
 *   # Pod crash looping
 *   ## Check the last logs …
 *
 * Title and heading words count too (see match-runbooks.ts). Pure: no I/O.
 */
import { parse as parseYaml } from 'yaml';

export interface RunbookDocument {
  name: string;
  title: string;
  alerts: string[];
  labels: Record<string, string>;
  kinds: string[];
  /** the title's and headings' words, lower case (what a question's words are compared with) */
  headingWords: string[];
  /** the Markdown without its front matter */
  body: string;
}

const frontMatter = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

const strings = (value: unknown): string[] => (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).filter((item): item is string | number => typeof item === 'string' || typeof item === 'number').map((item) => String(item).trim()).filter(Boolean);

/** Words worth comparing: 3+ letters, not the glue every sentence has. */
const stopWords = new Set([
  ...['the', 'and', 'for', 'with', 'from', 'that', 'this', 'into', 'when', 'what', 'why', 'how', 'are', 'was', 'not', 'its', 'you', 'your', 'our', 'has', 'have', 'check', 'runbook'],
  // the words every alert investigation's instructions hold (alerts/alert-investigator.ts): they say nothing about the alert
  ...['alert', 'fired', 'firing', 'investigate', 'read', 'only', 'tools', 'get', 'describe', 'logs', 'events', 'end', 'short', 'diagnosis', 'wrong', 'evidence', 'likely', 'cause', 'change', 'anything', 'needed', 'propose', 'wait', 'human', 'decision', 'again', 'changed', 'update'],
]);
export function wordsOf(text: string): string[] {
  return [...new Set(text.toLowerCase().split(/[^a-z0-9]+/).filter((word) => word.length >= 3 && !stopWords.has(word)))];
}

export function parseRunbook(name: string, markdown: string): RunbookDocument {
  const found = frontMatter.exec(markdown);
  let meta: Record<string, unknown> = {};
  if (found) {
    try {
      const parsed: unknown = parseYaml(found[1]!);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
    } catch {
      // A broken front matter is read as none: the runbook still matches by its headings.
    }
  }
  const body = found ? markdown.slice(found[0].length) : markdown;
  const headings = [...body.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => match[1]!.trim());
  const title = (typeof meta['title'] === 'string' && meta['title'].trim()) || headings[0] || name.replace(/\.md$/i, '');
  const labels: Record<string, string> = {};
  if (meta['labels'] && typeof meta['labels'] === 'object' && !Array.isArray(meta['labels'])) {
    for (const [key, value] of Object.entries(meta['labels'] as Record<string, unknown>)) if (typeof value === 'string' || typeof value === 'number') labels[key] = String(value);
  }
  return {
    name,
    title: title.slice(0, 200),
    alerts: strings(meta['alerts']),
    labels,
    kinds: strings(meta['kinds']).map((kind) => kind.toLowerCase()),
    headingWords: wordsOf([title, ...headings].join(' ')),
    body,
  };
}
