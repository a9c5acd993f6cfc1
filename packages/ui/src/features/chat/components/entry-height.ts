/**
 * A guess at an entry's rendered height, in px, before it is measured. The virtualised timeline sizes its scrollbar
 * and places the entries it has not rendered yet from these guesses, then corrects each with its measured height; a
 * close guess keeps the scrollbar from changing length as the user scrolls through history.
 */
import type { Entry } from '../state/timeline.ts';

const LINE = 24; // 0.94rem text at line-height 1.6
const CHARS_PER_LINE = 90; // the timeline is max-w-3xl
const CODE_LINE = 20;

function textHeight(text: string): number {
  let height = 0;
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      height += fenced ? 44 : 0; // the code block's header and padding
    } else if (fenced) height += CODE_LINE;
    else if (line.trim() === '') height += 8;
    else height += LINE * Math.max(1, Math.ceil(line.length / CHARS_PER_LINE));
  }
  return height;
}

// Entries are immutable: the virtualiser asks again for every entry on each render while an answer streams.
const estimates = new WeakMap<Entry, number>();

export function estimateEntryHeight(entry: Entry): number {
  let height = estimates.get(entry);
  if (height === undefined) estimates.set(entry, (height = estimate(entry)));
  return height;
}

function estimate(entry: Entry): number {
  if (entry.type === 'user') return 16 + textHeight(entry.content);
  if (entry.type === 'alert') return 96 + textHeight(Object.values(entry.alert.annotations).join('\n')) + (entry.alert.notes?.length ?? 0) * 18;
  let height = 24; // the footer (copy buttons, usage)
  for (const segment of entry.segments) {
    if (segment.kind === 'text') height += textHeight(segment.text);
    else if (segment.kind === 'thinking') height += 36;
    else height += segment.tool.status === 'awaiting_approval' ? 420 : 56;
  }
  return Math.max(height, 48);
}
