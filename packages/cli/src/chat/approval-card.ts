/**
 * What a human sees before deciding a mutating call: the tool, the exact arguments, the dry-run diff in colour,
 * and every field the engine adds to explain the call (destructive, risks, policy reason, how relative arguments
 * were resolved, the pinned artifact digest). A pure function of the event, so tests read the same text.
 */
import type { AgentEventOf } from '@skyflo/protocol';
import { createPalette, type Palette } from './colors.ts';
import { clusterLabel } from './clusters.ts';
import { packItems, terminalRows, unbreakableSpace, wrapHanging } from './terminal-rows.ts';

export type AwaitingApproval = AgentEventOf<'tool.awaiting_approval'>;

/** Lines of a long string argument (a manifest…) shown before "press f"; the full args show everything. */
const PREVIEW_LINES = 12;

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** Pretty JSON of the arguments; long multi-line strings are shown as blocks, cut unless `full`. */
export function formatArgs(args: Record<string, unknown>, input: { full: boolean; palette: Palette }): { text: string; truncated: boolean } {
  let truncated = false;
  const blocks: string[] = [];
  const inline: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string' && value.includes('\n')) {
      const lines = value.replace(/\n$/, '').split('\n');
      const shown = input.full ? lines : lines.slice(0, PREVIEW_LINES);
      if (shown.length < lines.length) truncated = true;
      const more = shown.length < lines.length ? `\n${input.palette.dim(`… ${lines.length - shown.length} more lines (f: full args)`)}` : '';
      blocks.push(`${key}:\n${indent(shown.join('\n'), '  ')}${more}`);
    } else inline[key] = value;
  }
  let json = JSON.stringify(inline, null, 2);
  if (!input.full && json.length > 2_000) {
    json = `${json.slice(0, 2_000)}\n${input.palette.dim('… (f: full args)')}`;
    truncated = true;
  }
  return { text: [Object.keys(inline).length > 0 ? json : '', ...blocks].filter(Boolean).join('\n'), truncated };
}

export function colorDiff(diff: string, palette: Palette): string {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return palette.bold(line);
      if (line.startsWith('+')) return palette.green(line);
      if (line.startsWith('-')) return palette.red(line);
      if (line.startsWith('@@')) return palette.cyan(line);
      return line;
    })
    .join('\n');
}

const severityOrder = { high: 0, medium: 1, low: 2 } as const;

/**
 * "prod-eu · namespace payments": the approval's cluster, else the call's `context` argument; its namespace. A call
 * whose objects reach several namespaces names them all, and cluster-scoped objects too (a Helm chart's, issue 31).
 */
export function clusterHeadline(event: Pick<AwaitingApproval, 'args' | 'cluster' | 'namespace' | 'namespaces' | 'cluster_scoped'>): string | undefined {
  const context = event.args['context'];
  const name = event.cluster?.name ?? (typeof context === 'string' && context ? context : undefined);
  if (!name) return undefined;
  const clusterWide = event.cluster_scoped ? ' + cluster-scoped objects' : '';
  if (event.namespaces && event.namespaces.length > 1) return `${name} · namespaces ${event.namespaces.join(', ')}${clusterWide}`;
  const namespace = event.namespace ?? (typeof event.args['namespace'] === 'string' ? event.args['namespace'] : undefined);
  return `${namespace ? `${name} · namespace ${namespace}` : name}${clusterWide}`;
}

/**
 * The keys line under a card; the interactive prompt prints it only once it listens (keys typed before are ignored).
 * `autoRevert`: the card shows the call's inverse, so `a!` approves with automatic revert. `nextDiffLine`: where [m]
 * would page from (firstDiffPage, then each page's `next`), undefined when there is nothing more to page: from line 0
 * it shows the whole diff (the card showed only the lines it changes), else the rest of it.
 */
export function approvalKeysLine(palette: Palette, input: { nextDiffLine?: number; autoRevert?: boolean; columns?: number; lead?: string; denyOnly?: boolean } = {}): string {
  const keys = [
    // a call nobody can approve as it is (issue 73 item 6) is only denied here
    ...(input.denyOnly ? [] : [`${palette.bold('[a]')} approve`]),
    ...(input.autoRevert && !input.denyOnly ? [`${palette.bold('[a!]')} approve with automatic revert`] : []),
    `${palette.bold('[d]')} deny (with a reason)`,
    `${palette.bold('[f]')} full args`,
    ...(input.nextDiffLine === undefined ? [] : [`${palette.bold('[m]')} ${input.nextDiffLine === 0 ? 'the whole diff' : 'more of the diff'}`]),
  ];
  return packItems(`${input.lead ?? ''}${palette.yellow('╰─ ')}`, keys, '   ', input.columns);
}

/** Lines of the inverse's diff a card shows under "automatic revert would run" (the change's own diff comes first). */
const INVERSE_DIFF_LINES = 4;

function diffLines(event: AwaitingApproval): string[] {
  return event.diff ? event.diff.replace(/\n$/, '').split('\n') : [];
}

/** Whether a card shown with `maxDiffLines` left part of the diff out (the prompt then offers [m]). */
export function diffIsCut(event: AwaitingApproval, maxDiffLines: number | undefined): boolean {
  return maxDiffLines !== undefined && diffLines(event).length > maxDiffLines;
}

/**
 * Where [m] starts paging a card shown with `maxDiffLines`: undefined when it showed the whole diff; the diff's first
 * line when the card showed only the lines it changes; otherwise the line after the ones it showed.
 */
export function firstDiffPage(event: AwaitingApproval, maxDiffLines: number | undefined): number | undefined {
  if (!diffIsCut(event, maxDiffLines)) return undefined;
  return changedLines(event.diff!).length > 0 ? 0 : maxDiffLines;
}

/** One line of a card: where it starts (the border, a label), what it says, and what its wrapped rows start with. */
interface CardLine {
  prefix: string;
  content: string;
  hang: string;
}

/** A row of a block under the border (the args, a diff): it wraps under its own indent (the JSON's, a diff's YAML), and two spaces more. */
function blockRow(bar: string, row: string): CardLine {
  const lead = /^ */.exec(row)![0];
  return { prefix: `${bar}   ${lead}`, content: row.slice(lead.length), hang: `${bar}   ${lead}  ` };
}

/** A card's line as the terminal `columns` wide shows it (one row when it fits, or when no width is known). */
function renderLine({ prefix, content, hang }: CardLine, columns: number | undefined): string {
  return wrapHanging(prefix, content, hang, columns);
}

/**
 * The diff lines after the first `from`, at most `count` of them, as the [m] key shows them under a cut card;
 * `next` is where the following page starts, undefined once the diff is all shown.
 */
export function diffPage(event: AwaitingApproval, input: { palette: Palette; from: number; count: number; columns?: number }): { text: string; next?: number } {
  const lines = diffLines(event);
  const end = Math.min(lines.length, input.from + input.count);
  const bar = input.palette.yellow('│');
  const page = colorDiff(lines.slice(input.from, end).join('\n'), input.palette)
    .split('\n')
    .map((row) => renderLine(blockRow(bar, row), input.columns))
    .join('\n');
  const footer = end < lines.length ? input.palette.dim(`… lines ${input.from + 1}–${end} of ${lines.length} ([m] more)`) : input.palette.dim(`(end of the diff: ${lines.length} lines)`);
  return { text: `${page}\n${bar} ${footer}`, ...(end < lines.length ? { next: end } : {}) };
}

/** Lines of the inverse's diff (what automatic revert would run) in a card shown on `rows` rows: none when they do not fit. */
function inverseBudget(rows: number | undefined, event: AwaitingApproval): number {
  if (!event.undo?.diff) return 0;
  const fixed = (clusterHeadline(event) ? 1 : 0) + (event.undo_of ? 1 : 0) + 3;
  return Math.max(0, Math.min(INVERSE_DIFF_LINES, (rows ?? 50) - 22 - fixed - 7));
}

/**
 * The lines of a diff that change something, without its context: what a call (or its revert) would do. Each run of
 * changes keeps the line that names its object when the diff has one: a multi-object diff's "+++ would-be/…" header
 * (a multi-document apply), a Helm manifest's "# Source: …" line (a chart) — a changed line is not shown without it.
 */
function changedLines(diff: string): string[] {
  const lines = diff.replace(/\n$/, '').split('\n');
  const severalObjects = lines.filter((line) => line.startsWith('+++ ')).length > 1;
  const kept: string[] = [];
  let object: string | undefined;
  for (const line of lines) {
    if (/^(\+\+\+|---) /.test(line)) {
      if (severalObjects && line.startsWith('+++ ')) object = line;
    } else if (/^ # Source: /.test(line)) object = line;
    else if (/^[+-]/.test(line)) {
      if (object) kept.push(object);
      object = undefined;
      kept.push(line);
    }
  }
  return kept;
}

/** Lines a card spends beyond the fixed ones: the cluster, an undo's origin, the inverse automatic revert would run. */
function extraLines(rows: number | undefined, event: AwaitingApproval): number {
  let lines = (clusterHeadline(event) ? 1 : 0) + (event.undo_of ? 1 : 0);
  if (event.undo) {
    const inverse = event.undo.diff ? changedLines(event.undo.diff).length : 0;
    const shown = Math.min(inverse, inverseBudget(rows, event));
    lines += 2 + shown + (inverse > shown ? 1 : 0);
  }
  return lines;
}

/**
 * How many diff lines a card shows on a terminal of `rows` rows: the rest is paged with [m], so the header and risks
 * stay on screen (the card's other sections — cluster, the inverse it would revert to — come off the diff's share).
 */
export function diffBudget(rows: number | undefined, event?: AwaitingApproval): number {
  return Math.max(4, Math.min(20, (rows ?? 50) - 22 - (event ? extraLines(rows, event) : 0)));
}

/**
 * The card's size limits on a terminal of `rows` rows (see diffBudget and inverseBudget). On a terminal `columns` wide
 * the card's long lines wrap onto more rows, so the diff gives up as many lines as the wrapping adds (down to the
 * least diffBudget shows), and the header keeps its place on screen as far as it can.
 */
export function cardBudget(rows: number | undefined, event: AwaitingApproval, columns?: number): { maxDiffLines: number; maxInverseLines: number } {
  const budget = { maxDiffLines: diffBudget(rows, event), maxInverseLines: inverseBudget(rows, event) };
  if (columns === undefined || !event.diff) return budget;
  const plain = { palette: createPalette(false) };
  const added = terminalRows(formatApprovalCard(event, { ...plain, ...budget, columns }), columns) - terminalRows(formatApprovalCard(event, { ...plain, ...budget }), Number.MAX_SAFE_INTEGER);
  return { ...budget, maxDiffLines: Math.max(Math.min(4, budget.maxDiffLines), budget.maxDiffLines - added) };
}

/**
 * `keys: false` leaves out the last line (the keys to press), for a prompt that prints it when it is ready.
 * `maxDiffLines`: show at most that many diff lines, then say how many are left (the prompt pages them with [m]).
 * `columns`: the terminal's width; lines longer than it wrap at their spaces under the card's border. `rows`: its
 * height; a card taller than it names the call and its cluster again at its foot, where the keys are pressed.
 */
export function formatApprovalCard(
  event: AwaitingApproval,
  input: { palette: Palette; full?: boolean; keys?: boolean; maxDiffLines?: number; maxInverseLines?: number; undoOfLabel?: string; columns?: number; rows?: number },
): string {
  const { palette } = input;
  const bar = palette.yellow('│');
  const lines: CardLine[] = [];
  const line = (content: string, hang = `${bar}   `) => lines.push({ prefix: `${bar} `, content, hang });
  /** a line under the one before it (what automatic revert would run) */
  const detail = (content: string) => lines.push({ prefix: `${bar}   `, content, hang: `${bar}     ` });
  /** a block of lines indented under the border (the args, a diff) */
  const block = (text: string) => {
    for (const row of text.split('\n')) lines.push(blockRow(bar, row));
  };
  const title = event.title && event.title !== event.tool ? `${event.title} (${event.tool})` : event.tool;
  lines.push({ prefix: palette.yellow('╭─ '), content: palette.yellow('Approval needed: ') + palette.bold(title) + (event.destructive ? ' ' + palette.bgRed(palette.white(' DESTRUCTIVE ')) : ''), hang: `${bar}  ` });
  const field = (label: string, value: string) => {
    for (const [index, row] of value.split('\n').entries()) lines.push({ prefix: `${bar} ${index === 0 ? palette.dim(label.padEnd(10)) : ' '.repeat(10)}`, content: row, hang: `${bar} ${' '.repeat(10)}` });
  };
  // where the change lands, before anything else (issue 22): the cluster the approval is bound to, and the namespace
  // "namespace" stays on the row of the name it introduces when the line wraps (a phone's terminal)
  const cluster = clusterHeadline(event)?.replace(/\b(namespaces?) /g, `$1${unbreakableSpace}`);
  if (cluster) line(`${palette.bold('CLUSTER')}   ${palette.bold(palette.cyan(cluster))}${event.cluster?.label ? ` ${clusterLabel(event.cluster.label, palette)}` : ''}${event.cluster?.server ? palette.dim(`  ${event.cluster.server}`) : ''}`, `${bar} ${' '.repeat(10)}`);
  // an undo says what it undoes before anything else (issue 21)
  if (event.undo_of) line(`${palette.bold(palette.cyan(`↶ UNDO OF ${input.undoOfLabel ?? event.undo_of}`))}${input.undoOfLabel ? palette.dim(` (${event.undo_of})`) : ''}`);
  if (event.requested_by) field('asked by', event.requested_by.email ?? event.requested_by.name ?? event.requested_by.id);
  if (event.policy_reason) field('why', event.policy_reason);
  for (const risk of [...(event.risks ?? [])].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity])) {
    const badge = risk.severity === 'high' ? palette.red(palette.bold('HIGH')) : risk.severity === 'medium' ? palette.yellow('MEDIUM') : palette.dim('low');
    field('risk', `${badge} ${risk.code}: ${risk.message}`);
  }
  for (const resolution of event.resolution ?? []) field('resolved', resolution);
  if (event.artifact_digest) field('artifact', event.artifact_digest);
  const args = formatArgs(event.args, { full: input.full ?? false, palette });
  line(palette.dim('args'));
  block(args.text);
  if (event.diff) {
    const all = diffLines(event);
    const changed = diffIsCut(event, input.maxDiffLines) ? changedLines(event.diff) : [];
    if (changed.length > 0) {
      // cut to fit the screen: the top of a diff is its headers and unchanged context, so the card shows what changes
      // (as many of those lines as fit) and [m] pages the whole diff from its start
      const shown = changed.slice(0, input.maxDiffLines);
      line(palette.dim(`diff (dry run): the line${changed.length === 1 ? '' : 's'} it changes`));
      block(colorDiff(shown.join('\n'), palette));
      const more = changed.length - shown.length;
      line(palette.dim(`${more > 0 ? `… ${more} more changed line${more === 1 ? '' : 's'}; ` : ''}the whole diff: ${all.length} lines ([m])`));
    } else {
      line(palette.dim('diff (dry run)'));
      const shown = input.maxDiffLines !== undefined && all.length > input.maxDiffLines ? all.slice(0, input.maxDiffLines) : all;
      block(colorDiff(shown.join('\n'), palette));
      if (shown.length < all.length) line(palette.dim(`… ${all.length - shown.length} more diff lines of ${all.length} ([m] more)`));
    }
  } else if (event.preview_error) {
    field('no diff', palette.yellow(event.preview_error));
  } else {
    field('no diff', palette.dim('this tool has no dry-run preview'));
  }
  if (event.undo) {
    // what automatic revert would run, seen before deciding (issue 21): it is only run when [a!] is chosen
    line(`${palette.dim('if it regresses')} ${palette.bold('[a!]')} approves with automatic revert, which would run:`);
    detail(`${palette.bold(event.undo.tool)} ${event.undo.summary}`);
    if (event.undo.diff) {
      // the full diff with f; otherwise only the lines it changes, as many as fit
      const inverse = input.full ? event.undo.diff.replace(/\n$/, '').split('\n') : changedLines(event.undo.diff);
      const shown = input.full ? inverse : inverse.slice(0, input.maxInverseLines ?? INVERSE_DIFF_LINES);
      if (shown.length > 0) block(colorDiff(shown.join('\n'), palette));
      const more = inverse.length - shown.length;
      if (more > 0) detail(palette.dim(shown.length > 0 ? `… ${more} more changed line${more === 1 ? '' : 's'} (f: the inverse's whole diff)` : `it changes ${more} line${more === 1 ? '' : 's'} (f: the inverse's whole diff)`));
    }
  }
  field('args hash', palette.dim(event.args_hash));
  const keys = approvalKeysLine(palette, { nextDiffLine: firstDiffPage(event, input.maxDiffLines), autoRevert: event.undo !== undefined, columns: input.columns });
  let card = lines.map((cardLine) => renderLine(cardLine, input.columns)).join('\n');
  // A card taller than the screen has scrolled its header away by the time the keys are pressed: say again, at its
  // foot, what is approved and where (the prompt's line comes after the keys).
  if (input.rows !== undefined && terminalRows(`${card}\n${keys}`, input.columns ?? Number.MAX_SAFE_INTEGER) + 1 > input.rows) {
    line(`${palette.bold('↑ deciding')} ${palette.bold(event.tool)}${cluster ? ` on ${palette.bold(palette.cyan(cluster))}` : ''} ${palette.dim('(the card starts above)')}`);
    card += `\n${renderLine(lines[lines.length - 1]!, input.columns)}`;
  }
  return input.keys !== false ? `${card}\n${keys}` : card;
}
