/**
 * Renders a meta.k8s.io/v1 Table the way kubectl does: upper-case headers, priority-0 columns unless
 * wide, a NAMESPACE column for all-namespace lists, cells padded with three spaces.
 */
export interface TableColumn {
  name: string;
  type?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { namespace?: string; name?: string } };
}

export interface KubeTable {
  kind: 'Table';
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export interface RenderedTable {
  headers: string[];
  rows: string[][];
}

export function tableToRows(table: KubeTable, options: { wide?: boolean; withNamespace?: boolean }): RenderedTable {
  const columns = table.columnDefinitions.map((column, index) => ({ column, index })).filter(({ column }) => options.wide || !column.priority);
  const headers = [...(options.withNamespace ? ['NAMESPACE'] : []), ...columns.map(({ column }) => column.name.toUpperCase())];
  const rows = (table.rows ?? []).map((row) => [
    ...(options.withNamespace ? [row.object?.metadata?.namespace ?? ''] : []),
    ...columns.map(({ index }) => formatCell(row.cells[index])),
  ]);
  return { headers, rows };
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Aligns columns like kubectl's tabwriter (padding 3). */
export function formatRows(table: RenderedTable): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}
