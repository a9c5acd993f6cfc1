/**
 * A run's timeline writes (run-agent.ts emits, this persists): its events folded into the conversation's timeline on
 * the producer side, in batches, so a client that disconnects loses nothing and a burst of events costs one write.
 */
import type { AgentEvent, AgentEventType, TimelineEntry } from '@skyflo/protocol';
import { affectsTimeline, applyEventToTimeline } from '../../domain/timeline/apply-event.ts';
import type { Storage } from '../../platform/ports/index.ts';

/**
 * Timeline events that complete what the client already shows (a metric, the finished text it streamed, the usage,
 * the approval it just sent): persisted with the run's next write, or after defaultTimelineFlushMs at the latest, instead of
 * costing a write of their own. A reload in between still shows them: it replays the run's events from the bus.
 */
const persistLater: ReadonlySet<AgentEventType> = new Set<AgentEventType>(['ttft', 'generation.complete', 'thinking.complete', 'token.usage', 'tools.pending', 'tool.approved']);

/** At most this long (ms) between a persistLater event and its write (a crash loses at most this much). */
export const defaultTimelineFlushMs = 1000;

export interface RunTimeline {
  /** queues an event that affects the timeline; writes at once unless it only completes what the client shows */
  persist(event: AgentEvent): void;
  /** writes everything queued; resolves once the run's writes so far are done (a failed write is reported, not thrown) */
  flush(): Promise<unknown>;
  /** Set at `completed`: the write that takes the last events also releases the conversation, in one statement. */
  finishRunOnNextWrite: boolean;
  /** the run's last timeline write marked it finished (storage.conversations.updateTimelineAndFinishRun) */
  readonly finishedByTimelineWrite: boolean;
}

/**
 * One run's timeline writer. `onWriteFailure`: a write the database refused (the run ends and says so);
 * `flushMs`: the longest a persistLater event waits for its write.
 */
export function createRunTimeline(input: { storage: Storage; conversationId: string; runId: string; flushMs: number; onWriteFailure: (error: unknown) => void }): RunTimeline {
  const { storage } = input;
  // Timeline writes are serialised per run and never block token streaming; `completed` waits for them.
  // Events that arrive while a write is in flight are folded into the NEXT write together: one read-modify-write
  // transaction per burst instead of one per event. Why it matters: on PGlite every statement is a round trip to the
  // one database thread, which serialises all runs; a write costs five (begin, read, update, mirror, end), and on a
  // busy machine 100 runs starting together waited seconds for them (P2). So the events that only complete what the
  // user already sees (see persistLater) wait up to defaultTimelineFlushMs for the next write instead of making their own;
  // a tool's progress, an error and `completed` write at once, taking everything queued. The write starts a
  // macrotask later, so the query the run issues right after emitting (e.g. claiming an approved call before
  // tool.executing) is not queued behind it.
  let persisted: Promise<unknown> = Promise.resolve();
  let queued: AgentEvent[] = [];
  let writeScheduled = false;
  let flushTimer: NodeJS.Timeout | undefined;
  const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
  function flushTimeline(): Promise<unknown> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (writeScheduled || queued.length === 0) return persisted;
    writeScheduled = true;
    persisted = persisted
      .then(nextMacrotask)
      .then(() => {
        writeScheduled = false;
        const batch = queued;
        queued = [];
        if (batch.length === 0) return undefined;
        const change = (entries: TimelineEntry[]) => batch.reduce(applyEventToTimeline, entries);
        const finishing = timeline.finishRunOnNextWrite && storage.conversations.updateTimelineAndFinishRun;
        timeline.finishRunOnNextWrite = false;
        if (!finishing) return storage.conversations.updateTimeline(input.conversationId, change);
        return storage.conversations.updateTimelineAndFinishRun!(input.conversationId, change, input.runId).then(() => void (timeline.finishedByTimelineWrite = true));
      })
      // A lost timeline write would leave the conversation silently incomplete: the run ends and says so instead.
      .catch(input.onWriteFailure);
    return persisted;
  }
  function persist(event: AgentEvent) {
    if (!affectsTimeline(event)) return;
    queued.push(event);
    if (!persistLater.has(event.type)) {
      void flushTimeline();
      return;
    }
    // The first-token time is a metric for the end of the run: it never starts a write (nor the timer) of its own.
    if (event.type !== 'ttft' && !writeScheduled && !flushTimer) {
      flushTimer = setTimeout(() => void flushTimeline(), input.flushMs);
      flushTimer.unref();
    }
  }
  const timeline = { finishRunOnNextWrite: false, finishedByTimelineWrite: false, persist, flush: flushTimeline };
  return timeline;
}
