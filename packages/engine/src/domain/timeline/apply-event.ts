/** The stored timeline's fold lives in the protocol package (one fold for the engine and every client). */
export { affectsTimeline, appendAlertEntry, appendUserEntry, foldTimelineEvent as applyEventToTimeline, timelineEventTypes } from '@skyflo/protocol';
