/**
 * Text sized for the terminal it is shown on. A terminal breaks a line that is too long at its last column, in the
 * middle of a word and without the card's left border; on a phone's SSH client (40-odd columns) that was most of an
 * approval card, and a status line rewritten in place (one row up) left the rows it had wrapped onto behind.
 */
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/** Rows `text` takes on a terminal `columns` wide: each of its lines one, or as many as it wraps onto (colour codes take none). */
export function terminalRows(text: string, columns: number): number {
  return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil(stringWidth(line) / Math.max(1, columns))), 0);
}

/**
 * The width the chat lays text out to (answers, call lines, verification blocks): the terminal's, at most 120
 * columns so prose stays readable on a wide screen; 100 when the output is not a terminal.
 */
export function layoutWidth(columns: number | undefined): number {
  return Math.min(columns ?? 100, 120);
}

/**
 * A space a row is never broken at: "namespace" + unbreakableSpace + "payments" keeps the word and its name on one
 * row when a line wraps, and is printed as a plain space (wrapHanging puts it back).
 */
export const unbreakableSpace = '\u00a0';

/**
 * `prefix` + `content` as one line when it fits `columns` (or no width is known); otherwise `content` wrapped at its
 * spaces, the first row after `prefix` and each further one after `hang` (a card's border and indent). Colours carry
 * over the breaks. A word longer than the room left is cut where it must be, unless `keepWords` (a path or a URL in a
 * notice stays whole, so it can still be copied; the terminal folds it).
 */
export function wrapHanging(prefix: string, content: string, hang: string, columns: number | undefined, keepWords = false): string {
  if (columns === undefined || stringWidth(prefix + content) <= columns) return (prefix + content).replaceAll(unbreakableSpace, ' ');
  const room = Math.max(12, columns - Math.max(stringWidth(prefix), stringWidth(hang)));
  return wrapAnsi(content, room, { hard: !keepWords })
    .split('\n')
    .map((row, index) => (index === 0 ? prefix : hang) + row.replaceAll(unbreakableSpace, ' '))
    .join('\n');
}

/**
 * Items (a card's keys: "[a] approve", "[d] deny (with a reason)") on as few rows as fit `columns`, two spaces apart,
 * never one split across rows: the first row after `prefix`, the others after `hang`.
 */
export function packItems(prefix: string, items: readonly string[], hang: string, columns: number | undefined): string {
  if (columns === undefined) return prefix + items.join('  ');
  const rows: string[] = [];
  let row = '';
  for (const item of items) {
    const lead = rows.length === 0 ? prefix : hang;
    if (row && stringWidth(lead + row + '  ' + item) > columns) {
      rows.push(lead + row);
      row = item;
    } else row = row ? `${row}  ${item}` : item;
  }
  rows.push((rows.length === 0 ? prefix : hang) + row);
  return rows.join('\n');
}

/**
 * Each line of `text` wrapped to `columns` at its spaces, its rows after the first indented two more than it is; no
 * word is cut (a notice's path, URL or id stays whole, and copyable).
 */
export function wrapLines(text: string, columns: number | undefined): string {
  if (columns === undefined) return text;
  return text
    .split('\n')
    .map((line) => {
      const lead = /^ */.exec(line)![0];
      return wrapHanging(lead, line.slice(lead.length), `${lead}  `, columns, true);
    })
    .join('\n');
}
