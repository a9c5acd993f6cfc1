/**
 * When a list is too large for the model, we send a summary instead of a cut-off table: totals, counts
 * by status and by namespace, a sample of rows, and exactly how to narrow the request. A summary keeps
 * the facts the model needs ("37 pods CrashLoopBackOff in payments") that a truncated table would hide.
 *
 * The sample leads with what is broken: rows are ranked by severity (CrashLoopBackOff, then Error/OOMKilled,
 * ImagePullBackOff/ErrImagePull, Pending/Unschedulable, not ready, ContainerCreating, then healthy), and the
 * slots are shared round-robin between statuses and, within a status, between namespaces, so 500 pods in one
 * state or one namespace cannot crowd out the others. Events get the same treatment: Warning first, newest
 * first, duplicates merged with their counts.
 */
import { formatRows, type RenderedTable } from './render-table.ts';

export interface SummaryOptions {
  resourceLabel: string;
  maxRows: number;
  /** extra line(s) on how to filter */
  filterHint: string;
}

/** Severity tiers, most severe first. */
export const SEVERITY = {
  crashLoop: 0,
  failed: 1,
  imagePull: 2,
  pending: 3,
  notReady: 4,
  starting: 5,
  healthy: 6,
} as const;

const HEALTHY = /^(Running|Succeeded|Completed|Complete|Active|Bound|Available|Ready|True|Healthy|Deployed|SuccessCriteriaMet)$/;
const FAILED = /^(Error|OOMKilled|CreateContainerConfigError|CreateContainerError|RunContainerError|ContainerCannotRun|StartError|PreStartHookError|PostStartHookError|Evicted|Failed|BackoffLimitExceeded|DeadlineExceeded|ContainerStatusUnknown|Degraded)$/;
const IMAGE_PULL = /^(ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull|RegistryUnavailable|SignatureValidationFailed)$/;
const PENDING = /^(Pending|Unschedulable|SchedulingGated|Lost)$/;
const STARTING = /^(ContainerCreating|PodInitializing|Terminating|Progressing|Init:\d+\/\d+)$/;

/**
 * The severity tier of a row from its STATUS (or PHASE) and READY cells. A healthy-looking status with
 * fewer ready than wanted ("Running", READY 0/1) is "not ready"; a status nobody classified counts as not ready too.
 */
export function severityOf(status: string | undefined, ready?: string): number {
  const readiness = ready ? /^(\d+)\/(\d+)$/.exec(ready) : null;
  const notReady = readiness ? Number(readiness[1]) < Number(readiness[2]) : false;
  if (status === undefined || status === '') return notReady ? SEVERITY.notReady : SEVERITY.healthy;
  const bare = status.replace(/^Init:/, '');
  if (/CrashLoopBackOff/.test(bare)) return SEVERITY.crashLoop;
  if (FAILED.test(bare)) return SEVERITY.failed;
  if (IMAGE_PULL.test(bare)) return SEVERITY.imagePull;
  if (PENDING.test(bare)) return SEVERITY.pending;
  if (STARTING.test(status)) return SEVERITY.starting;
  if (HEALTHY.test(status)) return notReady && !/^(Completed|Complete|Succeeded)$/.test(status) ? SEVERITY.notReady : SEVERITY.healthy;
  return SEVERITY.notReady;
}

interface Candidate {
  row: string[];
  /** severity tier; lower is more urgent */
  rank: number;
  /** what the row is (its status, or "Running (not ready)"): slots are shared between these */
  category: string;
  namespace: string;
  /** position in the preferred order within its category (table order, or newest first for events) */
  order: number;
}

/**
 * Picks up to `limit` rows, tier by tier (`tierBreaks` split the ranks: broken, then transitional, then
 * healthy), each tier only getting the slots the one before left over. Within a tier, every category with
 * rows left gives one per round, most severe first; the row comes from the namespace least represented in
 * the sample so far, so the sample reaches every namespace with a problem before repeating one. The result
 * is ordered by severity, then category, then namespace.
 */
function pickSample(candidates: Candidate[], limit: number, tierBreaks: number[]): Candidate[] {
  const categories = new Map<string, { name: string; rank: number; size: number; namespaces: Map<string, Candidate[]> }>();
  for (const candidate of candidates) {
    let category = categories.get(candidate.category);
    if (!category) categories.set(candidate.category, (category = { name: candidate.category, rank: candidate.rank, size: 0, namespaces: new Map() }));
    category.size += 1;
    const rows = category.namespaces.get(candidate.namespace) ?? [];
    rows.push(candidate);
    category.namespaces.set(candidate.namespace, rows);
  }
  const ordered = [...categories.values()].sort((a, b) => a.rank - b.rank || b.size - a.size || a.name.localeCompare(b.name));
  for (const category of ordered) for (const rows of category.namespaces.values()) rows.sort((a, b) => a.order - b.order);
  const picked: Candidate[] = [];
  const perNamespace = new Map<string, number>();
  const takeFrom = (category: (typeof ordered)[number]): boolean => {
    let best: [string, Candidate[]] | undefined;
    for (const entry of category.namespaces) {
      if (entry[1].length === 0) continue;
      if (!best) {
        best = entry;
        continue;
      }
      const [namespace, rows] = entry;
      const difference = (perNamespace.get(namespace) ?? 0) - (perNamespace.get(best[0]) ?? 0);
      if (difference < 0 || (difference === 0 && (rows.length > best[1].length || (rows.length === best[1].length && namespace < best[0])))) best = entry;
    }
    if (!best) return false;
    picked.push(best[1].shift()!);
    perNamespace.set(best[0], (perNamespace.get(best[0]) ?? 0) + 1);
    return true;
  };
  const tierOf = (rank: number) => tierBreaks.filter((rankBreak) => rank >= rankBreak).length;
  for (let tierIndex = 0; tierIndex <= tierBreaks.length; tierIndex += 1) {
    const tier = ordered.filter((category) => tierOf(category.rank) === tierIndex);
    let progress = true;
    while (picked.length < limit && progress) {
      progress = false;
      for (const category of tier) {
        if (picked.length >= limit) break;
        if (takeFrom(category)) progress = true;
      }
    }
  }
  const pickOrder = new Map(picked.map((candidate, position) => [candidate, position]));
  const categoryOrder = new Map(ordered.map((category, position) => [category.name, position]));
  return picked.sort((a, b) => a.rank - b.rank || categoryOrder.get(a.category)! - categoryOrder.get(b.category)! || a.namespace.localeCompare(b.namespace) || pickOrder.get(a)! - pickOrder.get(b)!);
}

export function summariseTable(table: RenderedTable, options: SummaryOptions): string {
  const total = table.rows.length;
  const statusColumn = table.headers.findIndex((header) => header === 'STATUS' || header === 'PHASE');
  const readyColumn = table.headers.indexOf('READY');
  const namespaceColumn = table.headers.indexOf('NAMESPACE');
  const candidates: Candidate[] = table.rows.map((row, order) => {
    const status = statusColumn >= 0 ? row[statusColumn] : undefined;
    const rank = severityOf(status, readyColumn >= 0 ? row[readyColumn] : undefined);
    const category = rank === SEVERITY.notReady && status && HEALTHY.test(status) ? `${status} (not ready)` : status || (rank === SEVERITY.notReady ? 'not ready' : 'ready');
    return { row, rank, category, namespace: namespaceColumn >= 0 ? row[namespaceColumn] : '', order };
  });
  const lines = [`${total} ${options.resourceLabel} found; too many to list in full, so here is a summary.`];
  const ranked = statusColumn >= 0 || readyColumn >= 0;
  if (ranked) lines.push('', 'By status (most severe first):', ...countByCategory(candidates, 20));
  if (namespaceColumn >= 0) lines.push('', `By namespace${ranked ? ' (most not-healthy first)' : ''}:`, ...countByNamespace(candidates, 20, ranked ? 'not healthy' : undefined));
  // ContainerCreating is not broken: it only gets the slots broken pods leave, and healthy pods what is left after that.
  const sample = pickSample(candidates, options.maxRows, [SEVERITY.starting, SEVERITY.healthy]);
  const how = ranked ? ' (broken first: CrashLoopBackOff, Error/OOMKilled, ImagePullBackOff, Pending, not ready, ContainerCreating; spread across statuses and namespaces)' : '';
  lines.push('', `Sample of ${sample.length} of ${total}${how}:`, formatRows({ headers: table.headers, rows: sample.map((candidate) => candidate.row) }));
  lines.push('', `To see the rest: ${options.filterHint}`);
  return lines.join('\n');
}

function countByCategory(candidates: Candidate[], limit: number): string[] {
  const counts = new Map<string, { rank: number; count: number }>();
  for (const candidate of candidates) {
    const entry = counts.get(candidate.category) ?? { rank: candidate.rank, count: 0 };
    entry.count += 1;
    counts.set(candidate.category, entry);
  }
  const sorted = [...counts.entries()].sort(([nameA, a], [nameB, b]) => a.rank - b.rank || b.count - a.count || nameA.localeCompare(nameB));
  return withRest(sorted.map(([name, entry]) => [name, entry.count]), limit, (name, count) => `  ${name || '<empty>'}: ${count}`);
}

/** Namespaces with the most broken rows first; `brokenLabel` names them in the count ("3 not healthy"). */
function countByNamespace(candidates: Candidate[], limit: number, brokenLabel: string | undefined, healthyRank: number = SEVERITY.healthy): string[] {
  const counts = new Map<string, { total: number; broken: number }>();
  for (const candidate of candidates) {
    const entry = counts.get(candidate.namespace) ?? { total: 0, broken: 0 };
    entry.total += 1;
    if (candidate.rank < healthyRank) entry.broken += 1;
    counts.set(candidate.namespace, entry);
  }
  const sorted = [...counts.entries()].sort(([nameA, a], [nameB, b]) => b.broken - a.broken || b.total - a.total || nameA.localeCompare(nameB));
  return withRest(sorted.map(([name, entry]) => [name, entry.total, entry.broken]), limit, (name, total, broken) => `  ${name || '<empty>'}: ${total}${brokenLabel && broken ? ` (${broken} ${brokenLabel})` : ''}`);
}

function withRest(entries: Array<[string, number, number?]>, limit: number, format: (name: string, count: number, extra?: number) => string): string[] {
  const shown = entries.slice(0, limit).map(([name, count, extra]) => format(name, count, extra));
  if (entries.length > limit) shown.push(`  … and ${entries.length - limit} more (${entries.slice(limit).reduce((sum, [, count]) => sum + count, 0)} items)`);
  return shown;
}

/** "5m", "2m30s", "3h", "4d" (kubectl ages) → seconds; unknown ages sort last. */
export function ageSeconds(age: string): number {
  const match = /^(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(age.trim());
  if (!match || age.trim() === '') return Number.POSITIVE_INFINITY;
  const [, years, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  return (((years * 365 + days) * 24 + hours) * 60 + minutes) * 60 + seconds;
}

const MAX_MESSAGE = 160;

/**
 * Events over budget: repeats of the same event (namespace, type, reason, object, message) merged with their
 * counts added, then a sample that shows Warnings first and the newest first, shared between reasons and
 * namespaces. `table` must carry the wide columns (COUNT) when the server sends them.
 */
export function summariseEvents(table: RenderedTable, options: SummaryOptions): string {
  const column = (name: string) => table.headers.indexOf(name);
  const [namespaceColumn, lastSeen, type, reason, object, message, count] = ['NAMESPACE', 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE', 'COUNT'].map(column);
  const cell = (row: string[], index: number) => (index >= 0 ? (row[index] ?? '') : '');
  const merged = new Map<string, { row: string[]; count: number; age: number }>();
  for (const row of table.rows) {
    const key = [namespaceColumn, type, reason, object, message].map((index) => cell(row, index)).join('\u0000');
    const occurrences = Number(cell(row, count)) || 1;
    const age = ageSeconds(cell(row, lastSeen));
    const existing = merged.get(key);
    if (!existing) merged.set(key, { row, count: occurrences, age });
    else {
      existing.count += occurrences;
      if (age < existing.age) Object.assign(existing, { row, age });
    }
  }
  const distinct = [...merged.values()].sort((a, b) => a.age - b.age);
  const rankOf = (eventType: string) => (eventType === 'Warning' ? 0 : eventType === 'Normal' ? 2 : 1);
  const candidates: Candidate[] = distinct.map((entry, order) => ({
    row: entry.row,
    rank: rankOf(cell(entry.row, type)),
    category: `${cell(entry.row, type)} ${cell(entry.row, reason)}`,
    namespace: cell(entry.row, namespaceColumn),
    order,
  }));
  const counts = new Map(distinct.map((entry) => [entry.row, entry.count]));
  const occurrencesByCategory = new Map<string, { rank: number; count: number }>();
  for (const candidate of candidates) {
    const entry = occurrencesByCategory.get(candidate.category) ?? { rank: candidate.rank, count: 0 };
    entry.count += counts.get(candidate.row)!;
    occurrencesByCategory.set(candidate.category, entry);
  }
  const byReason = [...occurrencesByCategory.entries()].sort(([nameA, a], [nameB, b]) => a.rank - b.rank || b.count - a.count || nameA.localeCompare(nameB));
  const sample = pickSample(candidates, options.maxRows, [2]).sort((a, b) => a.rank - b.rank || a.order - b.order);
  const headers = [...(namespaceColumn >= 0 ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'MESSAGE'];
  const rows = sample.map(({ row }) => [
    ...(namespaceColumn >= 0 ? [cell(row, namespaceColumn)] : []),
    cell(row, lastSeen),
    cell(row, type),
    cell(row, reason),
    cell(row, object),
    String(counts.get(row)),
    shortenMessage(cell(row, message)),
  ]);
  const lines = [
    `${table.rows.length} ${options.resourceLabel} found (${distinct.length} distinct); too many to list in full, so here is a summary.`,
    '',
    'By type and reason (occurrences, Warning first):',
    ...withRest(byReason.map(([name, entry]) => [name, entry.count]), 20, (name, occurrences) => `  ${name}: ${occurrences}`),
  ];
  if (namespaceColumn >= 0) {
    lines.push('', 'By namespace (distinct events, most warnings first):', ...countByNamespace(candidates, 20, 'Warning', 1));
  }
  lines.push('', `Sample of ${rows.length} of ${distinct.length} distinct events (Warning first, newest first; COUNT = occurrences):`, formatRows({ headers, rows }));
  lines.push('', `To see the rest: ${options.filterHint}`);
  return lines.join('\n');
}

function shortenMessage(message: string): string {
  const oneLine = message.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE - 1)}…` : oneLine;
}
