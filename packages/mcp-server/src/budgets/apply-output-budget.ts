/**
 * Keeps every tool result within a byte budget so the model never receives megabytes of YAML.
 * Cuts happen at line boundaries and always say what was cut and how to narrow the request.
 */
export interface OutputBudgetOptions {
  budgetBytes: number;
  /** 'log' keeps the tail (the newest lines), 'text' keeps the head */
  kind?: 'log' | 'text';
  /** how to narrow the request, e.g. "use label_selector or name" */
  hint?: string;
}

/** ≈ 4 bytes per token for English/YAML; good enough for budgeting. */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

export function applyOutputBudget(text: string, options: OutputBudgetOptions): string {
  const totalBytes = Buffer.byteLength(text, 'utf8');
  if (totalBytes <= options.budgetBytes) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  // Reserve room for the note so the whole result stays within budget.
  let room = Math.max(0, options.budgetBytes - 300);
  const ordered = options.kind === 'log' ? [...lines].reverse() : lines;
  for (const line of ordered) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (size > room) {
      if (kept.length === 0 && room > 0) {
        // A single enormous line: keep a slice of it rather than nothing.
        kept.push(sliceBytes(line, room, options.kind === 'log'));
      }
      break;
    }
    kept.push(line);
    room -= size;
  }
  const keptBytes = kept.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8') + 1, 0);
  const what = options.kind === 'log' ? `the last ${kept.length}` : `the first ${kept.length}`;
  const note = `[output cut: showing ${what} of ${lines.length} lines (${keptBytes} of ${totalBytes} bytes).${options.hint ? ` ${options.hint}` : ''}]`;
  return options.kind === 'log' ? `${note}\n${kept.reverse().join('\n')}` : `${kept.join('\n')}\n${note}`;
}

function sliceBytes(line: string, bytes: number, fromEnd: boolean): string {
  const buffer = Buffer.from(line, 'utf8');
  const slice = fromEnd ? buffer.subarray(buffer.length - bytes) : buffer.subarray(0, bytes);
  // Dropping a partial multi-byte character at the cut keeps the result valid UTF-8.
  return slice.toString('utf8').replace(/\uFFFD/g, '');
}
