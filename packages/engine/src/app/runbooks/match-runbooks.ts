/**
 * Which runbooks fit an alert or a question: simple, explainable points, each with the reason shown on the answer.
 *   alert name in `alerts:`                  10 (an alert's `alertname=…` or the name written in the question)
 *   each `labels:` entry the alert carries     3 (all listed labels must match, else the runbook is out)
 *   each `kinds:` entry named in the text      2 (deployment, pod, statefulset… also plural)
 *   title/heading words in the text            1 each, at most 4
 *   the alert's runbook_url names it         100 (resolved by name only; nothing is fetched)
 * A runbook needs at least `minScore` (3) points: a lone shared word is not enough. Pure: no I/O.
 */
import type { RunbookDocument } from './runbook-document.ts';
import { wordsOf } from './runbook-document.ts';

export interface MatchSignals {
  /** alert names (alertname labels, or words of the question) */
  alertNames: string[];
  labels: Record<string, string>;
  /** the question's words, lower case */
  words: string[];
  /** runbook_url annotations the alert carried */
  runbookUrls: string[];
}

export interface RunbookMatch {
  runbook: RunbookDocument;
  score: number;
  reasons: string[];
}

export const minScore = 3;

/** Reads the signals from the text the model is about to get: an alert investigation's message or a question. */
export function signalsOf(text: string): MatchSignals {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)=("?)([^\s,"()]+)\2/g)) {
    const key = match[1]!;
    if (key !== 'runbook_url' && labels[key] === undefined) labels[key] = match[3]!;
  }
  const runbookUrls = [...text.matchAll(/\brunbook_url[=:]\s*"?([^\s"]+)"?/g)].map((match) => match[1]!);
  const alertNames = [...new Set([...(labels['alertname'] ? [labels['alertname']] : []), ...(text.match(/\b[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]+)+\b/g) ?? [])])];
  // A label's key (pod=…, deployment=…) says what the alert carries, not what it is about: only its value is a word.
  // The runbook_url link is scored on its own (100), not again by the words of its path.
  const prose = text.replace(/\brunbook_url[=:]\s*"?[^\s"]+"?/g, ' ').replace(/\b[A-Za-z_][A-Za-z0-9_]*=/g, ' ');
  return { alertNames, labels, words: wordsOf(prose), runbookUrls };
}

const plural = (kind: string) => (kind.endsWith('s') ? `${kind}es` : `${kind}s`);

export function scoreRunbook(runbook: RunbookDocument, signals: MatchSignals, linked: ReadonlySet<string> = new Set()): RunbookMatch {
  const reasons: string[] = [];
  let score = 0;
  if (linked.has(runbook.name)) {
    score += 100;
    reasons.push('runbook_url');
  }
  const names = new Set(signals.alertNames.map((name) => name.toLowerCase()));
  const alert = runbook.alerts.find((name) => names.has(name.toLowerCase()));
  if (alert) {
    score += 10;
    reasons.push(`alert ${alert}`);
  }
  const labelEntries = Object.entries(runbook.labels);
  if (labelEntries.length > 0) {
    // A runbook written for one team's alerts is not offered for another's, whatever else matches.
    if (!labelEntries.every(([key, value]) => signals.labels[key] === value)) return { runbook, score: linked.has(runbook.name) ? score : 0, reasons: linked.has(runbook.name) ? reasons : [] };
    for (const [key, value] of labelEntries) reasons.push(`label ${key}=${value}`);
    score += 3 * labelEntries.length;
  }
  const words = new Set(signals.words);
  for (const kind of runbook.kinds) {
    if (words.has(kind) || words.has(plural(kind))) {
      score += 2;
      reasons.push(`kind ${kind}`);
    }
  }
  // a kind already scored is not scored again as a heading word ("# Pod crash looping" with kinds: [Pod])
  const kindWords = new Set(runbook.kinds.flatMap((kind) => [kind, plural(kind)]));
  const shared = runbook.headingWords.filter((word) => words.has(word) && !kindWords.has(word)).slice(0, 4);
  if (shared.length > 0) {
    score += shared.length;
    reasons.push(`words ${shared.join(', ')}`);
  }
  return { runbook, score, reasons };
}

/** The runbooks worth offering, best first (ties: by name, so the choice is stable). */
export function rankRunbooks(runbooks: readonly RunbookDocument[], signals: MatchSignals, linked: ReadonlySet<string> = new Set()): RunbookMatch[] {
  return runbooks
    .map((runbook) => scoreRunbook(runbook, signals, linked))
    .filter((match) => match.score >= minScore)
    .sort((a, b) => b.score - a.score || a.runbook.name.localeCompare(b.runbook.name));
}
