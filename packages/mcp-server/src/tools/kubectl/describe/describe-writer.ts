/**
 * kubectl's PrefixWriter over a tabwriter: `write(level, text)` indents by two spaces per level,
 * `flush()` closes the current alignment block (kubectl flushes before the Events table, so events line
 * up on their own), and `toString()` runs the tabwriter over each flushed segment.
 */
import { formatTabbed } from './tab-writer.ts';

export const LEVEL_0 = 0;
export const LEVEL_1 = 1;
export const LEVEL_2 = 2;
export const LEVEL_3 = 3;
export const LEVEL_4 = 4;

export interface DescribeWriter {
  /** Writes `text` indented by `level` (two spaces each); include "\t" between cells and "\n" at line ends. */
  write(level: number, text: string): void;
  /** Writes a whole line with no indentation (kubectl's WriteLine). */
  line(text: string): void;
  flush(): void;
  toString(): string;
}

/** kubectl escapes terminal control characters in describe output (printers.WriteEscaped). */
function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r');
}

export function createDescribeWriter(): DescribeWriter {
  const segments: string[] = [];
  let current = '';
  return {
    write(level, text) {
      current += escapeTerminal('  '.repeat(level) + text);
    },
    line(text) {
      current += escapeTerminal(`${text}\n`);
    },
    flush() {
      segments.push(current);
      current = '';
    },
    toString() {
      return [...segments, current].map(formatTabbed).join('');
    },
  };
}

/** A writer whose levels are shifted by `indent` (kubectl's nestedPrefixWriter). */
export function nestedWriter(writer: DescribeWriter, indent: number): DescribeWriter {
  return {
    write: (level, text) => writer.write(level + indent, text),
    line: (text) => writer.write(indent, `${text}\n`),
    flush: () => writer.flush(),
    toString: () => writer.toString(),
  };
}
