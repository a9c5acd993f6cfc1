/**
 * A port of Go's text/tabwriter as kubectl's describe configures it (minwidth 0, tabwidth 8, padding 2,
 * padchar ' ', no flags). Cells are tab-terminated; a column is aligned over a block of consecutive lines
 * that all have a cell in it, so a line with fewer cells ends the block. Porting the algorithm (rather
 * than padding columns our own way) is what makes native describe line up exactly like `kubectl describe`.
 */
const PADDING = 2;

interface Cell {
  text: string;
  width: number;
}

/** Formats one flushed segment of tab-separated text. */
export function formatTabbed(text: string): string {
  const rawLines = text.split('\n');
  // The text after the last newline is an unterminated line; kubectl's output always ends in a newline.
  const trailing = rawLines.pop() ?? '';
  const lines: Cell[][] = rawLines.map((line) => line.split('\t').map((cell) => ({ text: cell, width: [...cell].length })));
  const output: string[] = [];
  const widths: number[] = [];

  function writeLines(line0: number, line1: number): void {
    for (let index = line0; index < line1; index += 1) {
      const cells = lines[index];
      let rendered = '';
      cells.forEach((cell, column) => {
        rendered += cell.text;
        if (column < widths.length) rendered += ' '.repeat(Math.max(0, widths[column] - cell.width));
      });
      output.push(rendered);
    }
  }

  function format(line0: number, line1: number): void {
    const column = widths.length;
    for (let current = line0; current < line1; current += 1) {
      if (column >= lines[current].length - 1) continue;
      // A cell exists in this column: print the lines before the block, then size the block.
      writeLines(line0, current);
      line0 = current;
      let width = 0;
      for (; current < line1; current += 1) {
        const cells = lines[current];
        if (column >= cells.length - 1) break;
        width = Math.max(width, cells[column].width + PADDING);
      }
      widths.push(width);
      format(line0, current);
      widths.pop();
      line0 = current;
    }
    writeLines(line0, line1);
  }

  format(0, lines.length);
  return output.map((line) => `${line}\n`).join('') + trailing;
}
