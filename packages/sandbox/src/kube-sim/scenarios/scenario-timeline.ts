/**
 * A scenario with a past (issue 78 item 6). `history: 60m` in its SimScenario document starts the cluster that long
 * ago; a document annotated `sim.skyflo.ai/applied-ago: 20m` is applied 20 minutes before now (a rollout, a canary, a
 * neighbour arriving). kube-sim lives through that past on a shifted clock: the first documents are applied with the
 * clock an hour back, the controllers settle (pods start, rollouts finish, old pods go), the clock moves forward to the
 * next document's time, and so on, until it reads the real time. Every timestamp (creation, start, deletion, events,
 * the series' lifetimes) is then where it would be on a real cluster: the new pods of a rollout begin at the rollout,
 * the old ones end there, and `kubectl get rs` shows their ages.
 */
import type { KubeObject, SimClock } from '../cluster-types.ts';

export const appliedAgoAnnotation = 'sim.skyflo.ai/applied-ago';

/** A clock that reads its base plus an offset the scenario loader moves forward; never backward. */
export interface ShiftableClock extends SimClock {
  /** ms added to the base clock (negative: the past) */
  readonly offsetMs: number;
  setOffset(offsetMs: number): void;
}

export function createShiftableClock(base: SimClock, offsetMs = 0): ShiftableClock {
  let offset = offsetMs;
  return {
    now: () => new Date(base.now().getTime() + offset),
    get offsetMs() {
      return offset;
    },
    setOffset(next) {
      // time only moves forward: an object created before must never be younger than one created after it
      if (next < offset) throw new Error(`the scenario clock cannot move back (from ${offset} ms to ${next} ms)`);
      offset = next;
    },
  };
}

/** "90s", "20m", "2h" → seconds; undefined for anything else. */
export function parseAgo(text: unknown): number | undefined {
  const match = /^([0-9]+)(s|m|h)$/.exec(String(text ?? '').trim());
  if (!match) return undefined;
  return Number(match[1]) * ({ s: 1, m: 60, h: 3600 } as const)[match[2] as 's' | 'm' | 'h'];
}

export interface TimelinePhase {
  /** seconds before now at which these objects are applied */
  agoSeconds: number;
  objects: KubeObject[];
}

/**
 * Splits a scenario's objects into what is applied at its start and the later phases, in file order. A document
 * without the annotation belongs to the phase before it; the annotation is removed from the object applied.
 */
export function splitTimeline(objects: KubeObject[], historySeconds: number, file: string): { initial: KubeObject[]; phases: TimelinePhase[] } {
  const initial: KubeObject[] = [];
  const phases: TimelinePhase[] = [];
  for (const object of objects) {
    const annotations = object.metadata.annotations ?? {};
    const raw = annotations[appliedAgoAnnotation];
    if (raw === undefined) {
      (phases.at(-1)?.objects ?? initial).push(object);
      continue;
    }
    const agoSeconds = parseAgo(raw);
    if (agoSeconds === undefined) throw new Error(`${file}: ${object.kind} ${object.metadata.name}: ${appliedAgoAnnotation} must be a duration such as 20m, got "${raw}"`);
    if (agoSeconds > historySeconds) throw new Error(`${file}: ${object.kind} ${object.metadata.name} is applied ${raw} ago, before the scenario's history starts (history: ${historySeconds}s)`);
    const previous = phases.at(-1)?.agoSeconds ?? historySeconds;
    if (agoSeconds > previous) throw new Error(`${file}: ${object.kind} ${object.metadata.name} is applied ${raw} ago, before the document above it: order the documents by time`);
    const { [appliedAgoAnnotation]: _, ...rest } = annotations;
    const applied: KubeObject = { ...object, metadata: { ...object.metadata, annotations: rest } };
    if (Object.keys(rest).length === 0) delete applied.metadata.annotations;
    if (phases.at(-1)?.agoSeconds === agoSeconds) phases.at(-1)!.objects.push(applied);
    else phases.push({ agoSeconds, objects: [applied] });
  }
  return { initial, phases };
}
