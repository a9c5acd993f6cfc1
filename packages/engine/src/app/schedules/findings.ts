/**
 * A scheduled check's findings and what changed since its previous run (issue 81 item 3): so a daily check says what
 * is new, what is resolved and what persists instead of repeating itself.
 *
 * Findings are the answer's list items ("- …", "* …", "1. …"); an answer without a list counts each non-empty line.
 * They are compared normalised (case, spacing, trailing punctuation, and numbers standing alone such as ages and counts,
 * which change between runs without the finding changing, while names like web-1 stay apart: "web-1 restarted 14 times" persists as "web-1 restarted 15 times").
 */
import type { FindingsDiff } from '@skyflo/protocol';

/** A check that found nothing says so in many ways; such a line is not a finding. */
const nothingFound = /^(no (issues|problems|findings)|nothing (found|to report)|all (good|clear|healthy)|everything (is )?(fine|healthy|ok))\b/i;
const maxFindings = 100;

export function extractFindings(answer: string): string[] {
  const lines = answer.split('\n').map((line) => line.trim()).filter(Boolean);
  const items = lines.filter((line) => /^([-*•]|\d+[.)])\s+/.test(line)).map((line) => line.replace(/^([-*•]|\d+[.)])\s+/, '').trim());
  const chosen = (items.length > 0 ? items : lines.filter((line) => !line.startsWith('#'))).filter((line) => line && !nothingFound.test(line));
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const line of chosen) {
    const key = findingKey(line);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(line.slice(0, 500));
  }
  return unique.slice(0, maxFindings);
}

/** What two runs' findings are compared by. */
export function findingKey(finding: string): string {
  return finding
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/(^|[\s(=])\d+(\.\d+)?/g, '$1#')
    .replace(/\s+/g, ' ')
    .replace(/[.;:,!]+$/, '')
    .trim();
}

/** `previous` undefined: the first run, nothing to compare with (everything is new, compared: false). */
export function diffFindings(previous: string[] | undefined, current: string[]): FindingsDiff {
  if (previous === undefined) return { new: current, resolved: [], persists: [], compared: false };
  const before = new Set(previous.map(findingKey));
  const now = new Set(current.map(findingKey));
  return {
    new: current.filter((finding) => !before.has(findingKey(finding))),
    resolved: previous.filter((finding) => !now.has(findingKey(finding))),
    persists: current.filter((finding) => before.has(findingKey(finding))),
    compared: true,
  };
}

/** The notification's text: the difference first, what persists counted, nothing repeated in full. */
export function describeDiff(name: string, diff: FindingsDiff): string {
  const list = (items: string[]) => items.slice(0, 10).map((item) => `- ${item}`).join('\n') + (items.length > 10 ? `\n- and ${items.length - 10} more` : '');
  if (!diff.compared) return diff.new.length === 0 ? `${name}: first run, nothing found.` : `${name}: first run, ${diff.new.length} finding${diff.new.length === 1 ? '' : 's'}:\n${list(diff.new)}`;
  if (diff.new.length === 0 && diff.resolved.length === 0) return `${name}: no change since the last run (${diff.persists.length} finding${diff.persists.length === 1 ? '' : 's'} persist${diff.persists.length === 1 ? 's' : ''}).`;
  const parts = [
    diff.new.length > 0 ? `New (${diff.new.length}):\n${list(diff.new)}` : '',
    diff.resolved.length > 0 ? `Resolved (${diff.resolved.length}):\n${list(diff.resolved)}` : '',
    diff.persists.length > 0 ? `Persists: ${diff.persists.length} finding${diff.persists.length === 1 ? '' : 's'} from the last run.` : '',
  ].filter(Boolean);
  return `${name}: ${parts.join('\n')}`;
}
