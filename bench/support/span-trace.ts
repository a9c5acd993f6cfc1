/**
 * Where the milliseconds of one request go, for benchmarks: wraps the methods of storage stores, the checkpointer and
 * the tool gateway so each call is recorded as a span (start, end, relative to a mark the bench sets), then prints the
 * median span of each operation in the order they start. A profile of waiting (database thread, MCP round trips), which
 * a CPU profile does not show.
 */
import { median } from './statistics.ts';

type Span = { name: string; start: number; end: number };

export function createSpanTrace() {
  let origin = 0;
  let recording = false;
  let spans: Span[] = [];
  const rounds: Span[][] = [];

  /** Wraps every function property of `target` (own and prototype) as a traced span named `${label}.${method}`. */
  function wrap<T extends object>(label: string, target: T): T {
    return new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(object, args);
          if (!recording || !(result instanceof Promise)) return result;
          // a published event is named by its type (bus.publish(runId, type, event)), so the table shows the order
          const named = property === 'publish' && typeof args[1] === 'string' ? `${property}(${args[1]})` : property;
          const span: Span = { name: `${label}.${named}`, start: performance.now() - origin, end: NaN };
          spans.push(span);
          return result.finally(() => (span.end = performance.now() - origin));
        };
      },
    });
  }

  return {
    wrap,
    /** a new request starts now */
    mark() {
      origin = performance.now();
      spans = [];
      recording = true;
    },
    /** the request is over: keep its spans */
    done() {
      recording = false;
      rounds.push(spans);
    },
    /**
     * Median number of calls whose name starts with one of `prefixes` made before the first span named `until` (e.g.
     * the database calls before `tool.executing` went out): a count the machine's load does not change.
     */
    countBefore(until: string, prefixes: string[]): number {
      const counts = rounds.map((round) => {
        const end = round.find((span) => span.name === until)?.start ?? Number.POSITIVE_INFINITY;
        return round.filter((span) => span.start < end && prefixes.some((prefix) => span.name.startsWith(prefix))).length;
      });
      return [...counts].sort((x, y) => x - y)[Math.floor(counts.length / 2)] ?? NaN;
    },
    /** median start/end per operation (the n-th occurrence of a name within a round counts as its own row) */
    print(title: string) {
      const rows = new Map<string, { starts: number[]; ends: number[]; order: number }>();
      for (const round of rounds) {
        const seen = new Map<string, number>();
        for (const span of round) {
          const nth = (seen.get(span.name) ?? 0) + 1;
          seen.set(span.name, nth);
          const key = nth > 1 ? `${span.name} #${nth}` : span.name;
          const row = rows.get(key) ?? { starts: [], ends: [], order: 0 };
          row.starts.push(span.start);
          row.ends.push(span.end);
          rows.set(key, row);
        }
      }
      const table = [...rows].map(([name, row]) => ({ name, start: median(row.starts), end: median(row.ends), count: row.starts.length }));
      table.sort((a, b) => a.start - b.start);
      console.log(`   spans (${title}; median ms from the POST, ${rounds.length} requests):`);
      for (const row of table) console.log(`     ${row.start.toFixed(2).padStart(7)} → ${row.end.toFixed(2).padStart(7)}  ${(row.end - row.start).toFixed(2).padStart(6)}  ${row.name}${row.count < rounds.length ? ` (in ${row.count})` : ''}`);
      rounds.length = 0;
    },
  };
}
