/**
 * What kube-sim remembers of its series so their past never changes. A series is a function of time computed from the
 * cluster as it is now; without memory, a counter's rate (a container's CPU share, which moves when a pod lands on its
 * node) or a pod's restart count rewrote the whole history at every query, and a counter could read lower on a later
 * query than on an earlier one (`increase(restarts[1m])` read 665 where Prometheus read 6.7). Here a counter's rate is
 * remembered in segments (a new one from the moment it is seen to change), and a gauge's value by the time it changed:
 * an instant already answered keeps its answer.
 */
interface Segment {
  from: number;
  value: number;
}

export interface SeriesMemory {
  /**
   * A counter growing at `rate` since `start`: its value at `t`, each remembered rate integrated (`integrate`: the
   * increase at that rate from one instant to another) over its own stretch. `now` is when the rate is observed; a
   * different rate starts a segment there.
   */
  counter(key: string, input: { rate: number; start: number; now: number; integrate: (rate: number, from: number, to: number) => number }): (t: number) => number;
  /** A value that holds between changes (a count, a phase): its value at `t` as remembered; `now` as for counter. */
  gauge(key: string, input: { value: number; start: number; now: number }): (t: number) => number;
  /** Runs `build` (which asks for every series still served) and then forgets the series it did not ask for. */
  sweep<T>(build: () => T): T;
}

export function createSeriesMemory(): SeriesMemory {
  const counters = new Map<string, Segment[]>();
  const gauges = new Map<string, Segment[]>();
  let touched: Set<string> | undefined;

  const remember = (store: Map<string, Segment[]>, key: string, value: number, start: number, now: number): Segment[] => {
    touched?.add(key);
    const segments = store.get(key);
    if (!segments) {
      const first = [{ from: start, value }];
      store.set(key, first);
      return first;
    }
    const last = segments.at(-1)!;
    // a change is remembered from the moment it is seen, never before: earlier instants keep their answers
    if (last.value !== value) segments.push({ from: Math.max(now, last.from), value });
    return segments;
  };

  return {
    counter(key, { rate, start, now, integrate }) {
      const segments = remember(counters, key, rate, start, now);
      return (t) => {
        let total = 0;
        for (const [index, segment] of segments.entries()) {
          if (t <= segment.from) break;
          const until = Math.min(t, segments[index + 1]?.from ?? Infinity);
          total += integrate(segment.value, segment.from, until);
        }
        return total;
      };
    },
    gauge(key, { value, start, now }) {
      const segments = remember(gauges, key, value, start, now);
      return (t) => {
        let current = segments[0]!.value;
        for (const segment of segments) {
          if (segment.from > t) break;
          current = segment.value;
        }
        return current;
      };
    },
    sweep(build) {
      touched = new Set();
      try {
        const result = build();
        for (const store of [counters, gauges]) {
          for (const key of store.keys()) if (!touched.has(key)) store.delete(key);
        }
        return result;
      } finally {
        touched = undefined;
      }
    },
  };
}
