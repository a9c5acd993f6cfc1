/**
 * The conversation's entries, virtualised (@tanstack/react-virtual): only the entries in and near the viewport are
 * mounted, so a conversation of hundreds of entries opens as fast as a short one and a streamed token re-renders a
 * handful of entries, not all of them. The list is anchored to its end, as a chat reads:
 *  - it opens scrolled to the last entry (mounted once the conversation is loaded, so the first frame is the end);
 *  - a new entry is followed, and the last one growing while it streams stays in view, only while the reader is within
 *    80 px of the end: scrolling up to read stops the following, scrolling back down resumes it;
 *  - entries measured while scrolling up (their real height replaces the guess) do not move what is on screen.
 * Entries with a call awaiting approval stay mounted wherever the reader scrolls: a card the user moved into keeps
 * its keyboard focus and the reason being typed.
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useLayoutEffect, useMemo, type RefObject } from 'react';
import { Spinner } from '../../../components/ui.tsx';
import type { DecisionTarget, Entry } from '../state/timeline.ts';
import { AlertEntry } from './alert-entry.tsx';
import { AssistantMessage } from './assistant-message.tsx';
import { estimateEntryHeight } from './entry-height.ts';

const GAP = 24; // what space-y-6 was
const FOLLOW_THRESHOLD = 80;

function awaitsApproval(entry: Entry): boolean {
  return entry.type === 'assistant' && entry.segments.some((segment) => segment.kind === 'tool' && segment.tool.status === 'awaiting_approval');
}

/**
 * The last answer failed before saying anything (no text, thinking or call, not stopped): its failure is the page's
 * run error under the timeline, so its row would be an empty bot avatar above that error. It is not shown; once a
 * later question follows, it is an earlier answer and shows its own error note.
 */
function isEmptyFailedLastAnswer(entries: readonly Entry[]): boolean {
  const last = entries.at(-1);
  return last?.type === 'assistant' && last.error !== undefined && !last.stopped && last.segments.every((segment) => segment.kind === 'text' && !segment.text.trim());
}

export function ChatTimeline(props: {
  entries: Entry[];
  scroller: RefObject<HTMLDivElement | null>;
  /** the run is working and has not answered yet: a "thinking" line under the last entry */
  thinking: boolean;
  /** why no approval card can be decided right now (undefined: they can) */
  decisionsLocked?: string;
  /** `autoRevert`: approve with automatic revert (the card showed the inverse and it was ticked) */
  onDecide(target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean): void;
}) {
  const { scroller } = props;
  const entries = useMemo(() => (isEmptyFailedLastAnswer(props.entries) ? props.entries.slice(0, -1) : props.entries), [props.entries]);
  /** the conversation's last answer: its failure is shown below the timeline (an earlier one's in its row) */
  const lastAnswer = props.entries.at(-1);
  const pinned = useMemo(() => entries.flatMap((entry, index) => (awaitsApproval(entry) ? [index] : [])), [entries]);
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      const extra = pinned.filter((index) => !indexes.includes(index));
      return extra.length ? [...indexes, ...extra].sort((a, b) => a - b) : indexes;
    },
    [pinned],
  );
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: (index) => estimateEntryHeight(entries[index]),
    getItemKey: (index) => entries[index].id,
    rangeExtractor,
    gap: GAP,
    paddingStart: GAP,
    paddingEnd: GAP,
    overscan: 4,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: FOLLOW_THRESHOLD,
    // The first render already shows the end: start from the estimated bottom, with the scroller's real height.
    initialRect: { width: scroller.current?.clientWidth ?? 0, height: scroller.current?.clientHeight ?? 0 },
    initialOffset: () => Math.max(0, entries.reduce((sum, entry) => sum + estimateEntryHeight(entry) + GAP, GAP) - (scroller.current?.clientHeight ?? 0)),
  });

  useLayoutEffect(() => {
    virtualizer.scrollToEnd();
    // once, when the loaded conversation mounts; later entries are followed by followOnAppend
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((item) => {
        const entry = entries[item.index];
        const last = item.index === entries.length - 1;
        return (
          <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="absolute left-0 top-0 w-full" style={{ transform: `translateY(${item.start}px)` }}>
            {entry.type === 'user' ? (
              <div className="flex justify-end">
                <div className="max-w-[85%] whitespace-pre-wrap rounded-2xl rounded-br-sm bg-accent/12 px-4 py-2 text-[0.94rem]" data-testid="user-message">
                  {entry.content}
                </div>
              </div>
            ) : entry.type === 'alert' ? (
              <AlertEntry alert={entry.alert} />
            ) : (
              <AssistantMessage entry={entry} decisionsLocked={props.decisionsLocked} onDecide={props.onDecide} failureShownBelow={entry === lastAnswer} />
            )}
            {/* inside the last entry's row, so the followed end includes it */}
            {last && props.thinking ? (
              <div className="pt-6">
                <Spinner label="Skyflo is thinking…" />
              </div>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
