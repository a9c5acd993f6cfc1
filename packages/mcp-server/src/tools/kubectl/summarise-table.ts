/**
 * When a list is too large for the model, we send a summary instead of a cut-off table: totals, counts
 * by status and by namespace, the first rows, and exactly how to narrow the request. A summary keeps
 * the facts the model needs ("37 pods CrashLoopBackOff in payments") that a truncated table would hide.
 */
import { formatRows, type RenderedTable } from './render-table.ts';

export interface SummaryOptions {
  resourceLabel: string;
  maxRows: number;
  /** extra line(s) on how to filter */
  filterHint: string;
}

export function summariseTable(table: RenderedTable, options: SummaryOptions): string {
  const total = table.rows.length;
  const statusColumn = table.headers.findIndex((header) => header === 'STATUS' || header === 'PHASE');
  const namespaceColumn = table.headers.indexOf('NAMESPACE');
  const lines = [`${total} ${options.resourceLabel} found; too many to list in full, so here is a summary.`];
  if (statusColumn >= 0) lines.push('', 'By status:', ...countBy(table.rows, statusColumn, 20));
  if (namespaceColumn >= 0) lines.push('', 'By namespace:', ...countBy(table.rows, namespaceColumn, 20));
  // Rows that are not healthy come first: they are what the user most likely asked about.
  const healthy = /^(Running|Succeeded|Completed|Active|Bound|Ready|True)$/;
  const ordered = statusColumn >= 0 ? [...table.rows].sort((a, b) => Number(healthy.test(a[statusColumn])) - Number(healthy.test(b[statusColumn]))) : table.rows;
  lines.push('', `First ${Math.min(options.maxRows, total)} of ${total}${statusColumn >= 0 ? ' (not-running first)' : ''}:`, formatRows({ headers: table.headers, rows: ordered.slice(0, options.maxRows) }));
  lines.push('', `To see the rest: ${options.filterHint}`);
  return lines.join('\n');
}

function countBy(rows: string[][], column: number, limit: number): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row[column], (counts.get(row[column]) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([value, count]) => `  ${value || '<empty>'}: ${count}`);
  if (sorted.length > limit) shown.push(`  … and ${sorted.length - limit} more (${sorted.slice(limit).reduce((sum, [, count]) => sum + count, 0)} items)`);
  return shown;
}
