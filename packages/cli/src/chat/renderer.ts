/**
 * Turns the event stream into terminal output, in one of three styles:
 * - `tty`: Markdown rendered as blocks complete, thinking dimmed, one compact line per tool call whose status
 *   is updated in place, notices for retries and errors, a usage footer;
 * - `plain` (stdout is not a terminal, or the benchmark contract): `Running: <tool> <args>` per executed call and
 *   the answer as plain text (Markdown syntax removed, as the UI's "Copy text"), nothing else on stdout
 *   (k8s-ai-bench reads the text after the last `Running:` line);
 * - `json`: every event as one JSON line, exactly as validated.
 * Notices that are not part of the answer (approvals made by --approve-all, warnings) go to stderr.
 */
import { chartLines } from './sparkline.ts';
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import type { AgentEvent } from '@skyflo/protocol';
import { markdownToPlainText } from '@skyflo/protocol/plain-text';
import { cardBudget, formatApprovalCard, type AwaitingApproval } from './approval-card.ts';
import { layoutWidth, wrapHanging, wrapLines } from './terminal-rows.ts';
import type { Palette } from './colors.ts';
import { createMarkdownRenderer, createMarkdownStream, type MarkdownStream } from './markdown.ts';
import { createTerminalScreen, WORKING_LABEL } from './terminal-screen.ts';
import { createTimelineView } from './timeline-view.ts';
import { verificationBlock, verificationLine, verifyingLabel } from './verification-lines.ts';

export type OutputStyle = 'tty' | 'plain' | 'json';

export interface Writer {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

export interface RendererOptions {
  style: OutputStyle;
  palette: Palette;
  colors: boolean;
  out: Writer;
  err: Writer;
  /** only tool lines and the answer (no thinking, usage or progress notices) */
  quiet?: boolean;
  /** plain style: print each tool's output under its Running: line */
  showToolOutput?: boolean;
  /**
   * tty style on a real terminal: a spinner while the agent works with nothing new to show, and the unfinished
   * line of the answer shown raw as it streams (replaced by its rendered form once the line ends)
   */
  live?: boolean;
}

export interface Renderer {
  event(event: AgentEvent): void;
  /**
   * `keys: false`: without the last line (the keys to press), which the prompt prints once it listens. Unless `full`,
   * the diff is cut to fit the terminal's height (see diffBudget); `diffLinesShown()` says how many were shown.
   */
  approvalCard(event: AwaitingApproval, options?: { full?: boolean; keys?: boolean }): void;
  /** how many diff lines a card shows before [m] pages through the rest */
  diffLinesShown(event: AwaitingApproval): number;
  /** a line on stdout (tty/plain) that is not part of the answer */
  info(text: string): void;
  /**
   * A whole answer read back (a resumed conversation's history, a stopped one included): Markdown rendered as a
   * streamed answer is in tty style, as plain text otherwise.
   */
  markdown(text: string): void;
  /** a line on stderr */
  notice(text: string): void;
  error(text: string): void;
}

/** `key=value` pairs of a call's arguments, each value cut to keep one call on one line. */
export function summarizeArgs(args: Record<string, unknown>, maxValue = 48): string {
  return Object.entries(args)
    .map(([key, value]) => {
      let text = typeof value === 'string' ? value : JSON.stringify(value);
      text = text.replace(/\s+/g, ' ');
      if (text.length > maxValue) text = `${text.slice(0, maxValue - 1)}…`;
      if (typeof value === 'string' && /[\s"]/.test(text)) text = JSON.stringify(text);
      return `${key}=${text}`;
    })
    .join(' ');
}

/** Who decided a call, as a person reads it: their email (a bare user id says nothing). */
function decider(event: { decided_by?: string; decided_by_email?: string }): string | undefined {
  return event.decided_by_email ?? (event.decided_by?.includes('@') ? event.decided_by : undefined);
}

/** How much of a failed call's reason a terminal shows under it: enough for a refusal and what to do next. */
const FAILURE_SHOWN_CHARACTERS = 900;

/** A failed call's reason as the lines a terminal shows: its non-empty lines, cut (with "…") past the bound. */
function failureLines(text: string): string[] {
  const whole = text.trim();
  const shown = whole.length > FAILURE_SHOWN_CHARACTERS ? `${whole.slice(0, FAILURE_SHOWN_CHARACTERS - 1)}…` : whole;
  return shown.split('\n').map((line) => line.trimEnd()).filter((line) => line.trim() !== '');
}

function firstLine(text: string, max = 120): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * "Runbook: <title>". A title is the team's text (an uploaded file's first heading): escape sequences and other
 * control characters are removed so it cannot move the cursor or rewrite what the terminal shows.
 */
export function runbookLine(title: string): string {
  // eslint-disable-next-line no-control-regex
  return `Runbook: ${stripVTControlCharacters(title).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim()}`;
}

/** "Seen before: <title>, <date>, resolved by <change>" (issue 81): remembered text, cleaned like a runbook title. */
export function seenBeforeLine(incident: { title: string; date: string; resolved_by: string }): string {
  // eslint-disable-next-line no-control-regex
  const clean = (text: string) => stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return `Seen before: ${clean(incident.title)}, ${clean(incident.date)}, resolved by ${clean(incident.resolved_by)}`;
}

/** The call events a stream could repeat (the fold moves a call's state forward only and skips a repeat). */
const repeatable: ReadonlySet<AgentEvent['type']> = new Set(['tool.approved', 'tool.denied', 'tool.executing', 'tool.result', 'tool.error']);

export function createRenderer(options: RendererOptions): Renderer {
  const { palette, out, err } = options;
  const width = () => layoutWidth(out.columns);
  const markdown = createMarkdownRenderer({ width: width(), colors: options.colors });
  const screen = createTerminalScreen({ out, palette, live: options.live ?? false });
  const { write, ensureNewline } = screen;
  let answer: MarkdownStream | undefined;
  let thinking = false;
  const usage = { prompt: 0, completion: 0, cached: 0 };
  /** the events folded by the protocol's fold: what a line says comes from here (timeline-view.ts) */
  const view = createTimelineView();
  /**
   * a call as the fold holds it (status, output, error, decision), named as the event names it (every call event
   * carries the call as it runs: its exact arguments); the event itself for a call the fold has not seen
   */
  const callOf = <T extends { call_id: string; tool: string; args: Record<string, unknown> }>(event: T) => {
    const record = view.tool(event.call_id);
    return record ? { ...record, tool: event.tool, args: event.args } : event;
  };
  /** plain style: the answer as plain text, line by line as lines complete (fences and tables once closed) */
  let plainAnswer: MarkdownStream | undefined;
  /** calls whose result said their before-state was recorded (tool.result undo_available): /undo can revert them */
  const undoable = new Set<string>();
  /** "k8s_set_image name=web image=web:9.9" per call seen, so an undo's card names the change it undoes */
  const seenCalls = new Map<string, string>();
  /** calls the engine runs as an automatic revert (tool.verification auto_revert_call_id): approved by no one again */
  const autoReverts = new Set<string>();

  const endThinking = () => {
    if (!thinking) return;
    thinking = false;
    ensureNewline();
  };
  const flushAnswer = () => {
    if (!answer) return;
    const rest = answer.flush();
    answer = undefined;
    if (rest) {
      ensureNewline();
      write(rest.endsWith('\n') ? rest : `${rest}\n`);
    }
  };

  const toolLine = (symbol: string, event: { tool: string; args: Record<string, unknown> }, suffix = '') => {
    // The conversation's cluster is on every call (the engine adds it); the card and /context name it, so the line
    // shows what tells two calls apart.
    const { context: _cluster, ...shownArgs } = event.args;
    const args = summarizeArgs(shownArgs);
    // the line fits the terminal's width where it can (a rewritten line that wrapped takes more rows to erase)
    const budget = Math.max(8, width() - event.tool.length - 4 - stripVTControlCharacters(suffix).length);
    const shown = args.length > budget ? `${args.slice(0, budget - 1)}…` : args;
    return `${symbol} ${palette.bold(event.tool)} ${palette.dim(shown)}${suffix}`;
  };
  /** a decision's line with its reason (any length, typed by a person) wrapped at its spaces to the terminal */
  const decisionLine = (line: string) => wrapHanging('', line, '    ', out.columns);
  /** a call's status line ends the thinking and the answer so far, then takes (or rewrites) the last line */
  const showToolLine = (callId: string, line: string) => {
    screen.clearLive();
    endThinking();
    flushAnswer();
    screen.statusLine(callId, line);
  };

  function tty(event: AgentEvent): void {
    switch (event.type) {
      case 'thinking':
        if (options.quiet) return;
        if (!thinking) {
          flushAnswer();
          ensureNewline();
          write(palette.dim(palette.italic('thinking: ')));
          thinking = true;
        }
        {
          const text = view.streamed('thinking');
          if (text) write(palette.dim(text));
        }
        return;
      case 'thinking.complete':
        endThinking();
        return;
      case 'token': {
        endThinking();
        answer ??= createMarkdownStream(markdown);
        const rendered = answer.push(view.streamed('text'));
        if (rendered) {
          ensureNewline();
          write(rendered);
        }
        screen.showPartial(answer.pending());
        return;
      }
      case 'ready':
      case 'generation.start':
        screen.startSpinner();
        return;
      case 'generation.complete':
        endThinking();
        flushAnswer();
        return;
      case 'toolset.loaded':
        if (!options.quiet) showToolLine(`toolset-${event.toolset}`, palette.dim(`· loaded the ${event.toolset} toolset${event.include_write_tools ? ' with write tools' : ''}`));
        return;
      case 'runbook.used':
        // the team's runbooks the answer draws on, named before it (the Command Center shows the same)
        if (event.runbooks.length > 0) showToolLine(`runbook-${event.run_id}`, event.runbooks.map((runbook) => palette.dim(runbookLine(runbook.title))).join('\n'));
        return;
      case 'memory.used':
        if (event.incidents.length > 0) showToolLine(`memory-${event.run_id}`, event.incidents.map((incident) => palette.dim(seenBeforeLine(incident))).join('\n'));
        return;
      case 'tool.executing':
        showToolLine(event.call_id, toolLine(palette.cyan('⏵'), callOf(event), palette.dim(' running…')));
        return;
      case 'tool.result': {
        if (event.undo_available) undoable.add(event.call_id);
        const call = callOf(event);
        const text = (call.result ?? []).map((part) => part.text).join('\n');
        const lines = text ? text.split('\n').length : 0;
        showToolLine(event.call_id, toolLine(palette.green('✓'), call, palette.dim(`  ${lines} line${lines === 1 ? '' : 's'}`)));
        // a PromQL range result: a sparkline per series with min/max/last (the Command Center draws the chart)
        if (event.chart) showToolLine(`chart-${event.call_id}`, chartLines(event.chart, { width: Math.max(8, Math.min(32, width() - 60)) }).map((line) => palette.dim(`    ${line}`)).join('\n'));
        screen.startSpinner();
        return;
      }
      case 'tool.verification':
        // live: the spinner line is the verification in progress; the outcome replaces it (issue 21)
        if (event.outcome === 'verifying') {
          if (!options.live) showToolLine(`verify-${event.call_id}`, verificationLine(event, palette, width()));
          screen.spinnerLabel(verifyingLabel(event, width()), { show: true });
          return;
        }
        screen.spinnerLabel(WORKING_LABEL);
        if (event.auto_revert_call_id) autoReverts.add(event.auto_revert_call_id);
        showToolLine(`verify-${event.call_id}`, wrapLines(verificationBlock(event, palette, { width: width(), undoAvailable: undoable.has(event.call_id) }), out.columns));
        screen.startSpinner();
        return;
      case 'tool.error': {
        const call = view.tool(event.call_id);
        const [error, code] = call ? [call.error ?? event.error, call.error_code] : [event.error, event.code];
        // Issue 73 item 6: the whole reason, every line of it (a refusal's "Nothing was changed…" and what to do next
        // follow its first line), within a bound
        const lines = failureLines(error);
        const tag = code ? palette.dim(` [${code}]`) : '';
        const oneLine = toolLine(palette.red('✗'), event, ` ${palette.red(lines[0] ?? '')}${tag}`);
        // where the reason does not fit beside the call, it goes under it, whole and wrapped at its spaces: beside it,
        // it squeezed the call's arguments to "name=we…" and the terminal broke the reason mid-word
        const fits = lines.length === 1 && stringWidth(oneLine) <= (out.columns ?? Number.MAX_SAFE_INTEGER);
        const under = lines.map((line, index) => wrapHanging('    ', `${palette.red(line)}${index === lines.length - 1 ? tag : ''}`, '    ', out.columns)).join('\n');
        showToolLine(event.call_id, fits ? oneLine : `${toolLine(palette.red('✗'), event)}\n${under}`);
        return;
      }
      case 'tool.approved': {
        const call = callOf(event);
        showToolLine(`approved-${event.call_id}`, decisionLine(`${palette.green('✓ approved')} ${palette.bold(call.tool)}${autoReverts.has(event.call_id) ? palette.yellow(' (automatic revert, no second approval)') : call.automatic ? palette.yellow(' (automatic, --approve-all)') : ''}${event.auto_revert ? palette.yellow(' with automatic revert') : ''}${call.reason ? palette.dim(`: ${call.reason}`) : ''}${decider(call) ? palette.dim(` · by ${decider(call)}`) : ''}`));
        return;
      }
      case 'tool.denied': {
        const call = callOf(event);
        showToolLine(`denied-${event.call_id}`, decisionLine(`${palette.red('✗ denied')} ${palette.bold(call.tool)}${call.reason ? `: ${call.reason}` : ''}${decider(call) ? palette.dim(` · by ${decider(call)}`) : ''}`));
        return;
      }
      case 'rate_limit':
        if (!options.quiet) showToolLine('notice', palette.yellow(`· the model is rate-limited; retrying in ${Math.round(event.retry_in)} s (attempt ${event.attempt}/${event.max_retries})`));
        return;
      case 'transient_error':
        if (!options.quiet) showToolLine('notice', palette.yellow(`· model error (${firstLine(event.error, 80)}); retrying in ${Math.round(event.retry_in)} s (attempt ${event.attempt}/${event.max_retries})`));
        return;
      case 'budget.exceeded':
        showToolLine('notice', palette.yellow(`· token budget spent: ${event.used_tokens}/${event.budget_tokens} tokens`));
        return;
      case 'workflow.error':
      case 'error':
        endThinking();
        flushAnswer();
        ensureNewline();
        // workflow.error: the answer's failure as the fold records it (the page shows the same, with Retry)
        write(`${palette.red('error:')} ${(event.type === 'workflow.error' ? view.answer()?.error : undefined) ?? event.error}\n`);
        return;
      case 'token.usage':
        usage.prompt += event.prompt_tokens;
        usage.completion += event.completion_tokens;
        usage.cached += event.cached_tokens;
        return;
      case 'completed': {
        screen.spinnerLabel(WORKING_LABEL);
        screen.clearLive();
        endThinking();
        flushAnswer();
        ensureNewline();
        if (view.answer()?.stopped) write(`${palette.yellow('■ stopped')}\n`);
        if (event.status === 'error' && event.error) write(`${palette.red('run failed:')} ${event.error}\n`);
        if (!options.quiet && !event.awaiting_approval && usage.prompt + usage.completion > 0) {
          const cached = usage.cached ? `, ${usage.cached} cached` : '';
          write(`${wrapLines(palette.dim(`${(event.duration_ms / 1000).toFixed(1)} s · ${usage.prompt} prompt + ${usage.completion} completion tokens${cached}`), out.columns)}\n`);
          usage.prompt = usage.completion = usage.cached = 0;
        }
        return;
      }
      default:
        return;
    }
  }

  const flushPlainAnswer = () => {
    const rest = plainAnswer?.flush() ?? '';
    plainAnswer = undefined;
    if (!rest.trim()) return;
    ensureNewline();
    write(rest.endsWith('\n') ? rest : `${rest}\n`);
  };

  function plain(event: AgentEvent): void {
    // the answer so far ends where the model ends its text: a generation's end, a tool call, an error, the run's end
    if (['generation.complete', 'tool.executing', 'tool.awaiting_approval', 'tool.error', 'workflow.error', 'error', 'completed'].includes(event.type)) flushPlainAnswer();
    switch (event.type) {
      case 'token':
        plainAnswer ??= createMarkdownStream(markdownToPlainText);
        write(plainAnswer.push(view.streamed('text')));
        return;
      case 'generation.complete':
        ensureNewline();
        return;
      case 'tool.executing':
        ensureNewline();
        {
          const call = callOf(event);
          write(`Running: ${call.tool} ${JSON.stringify(call.args)}\n`);
        }
        return;
      case 'runbook.used':
        // stdout holds the answer only (the benchmark reads it): the runbooks used go to stderr
        for (const runbook of event.runbooks) err.write(`skyflo: ${runbookLine(runbook.title)}\n`);
        return;
      case 'memory.used':
        for (const incident of event.incidents) err.write(`skyflo: ${seenBeforeLine(incident)}\n`);
        return;
      case 'tool.result':
        if (options.showToolOutput) {
          const text = (callOf(event).result ?? []).map((part) => part.text).join('\n').replace(/\n$/, '');
          if (text) write(`${text}\n`);
        }
        if (event.chart) write(`${chartLines(event.chart).map((line) => `  ${line}`).join('\n')}\n`);
        return;
      case 'tool.error':
        ensureNewline();
        write(`Error: ${event.tool}: ${firstLine(view.tool(event.call_id)?.error ?? event.error, 300)}\n`);
        return;
      case 'tool.verification':
        // stdout holds the answer only (the benchmark reads it): what the engine's check found goes to stderr
        if (event.outcome !== 'verifying') err.write(`skyflo: ${stripVTControlCharacters(verificationLine(event, palette, 300)).replace(/^\s*↳ /, '')} (${event.tool})\n`);
        return;
      case 'tool.denied': {
        const { reason } = callOf(event);
        err.write(`skyflo: denied ${event.tool}${reason ? `: ${reason}` : ''}\n`);
        return;
      }
      case 'workflow.error':
      case 'error':
        ensureNewline();
        err.write(`skyflo: error: ${(event.type === 'workflow.error' ? view.answer()?.error : undefined) ?? event.error}\n`);
        return;
      case 'completed':
        ensureNewline();
        if (view.answer()?.stopped) err.write('skyflo: the run was stopped\n');
        if (event.status === 'error' && event.error) err.write(`skyflo: the run failed: ${event.error}\n`);
        return;
      default:
        return;
    }
  }

  return {
    event(event) {
      if (event.type === 'tool.executing' || event.type === 'tool.result') seenCalls.set(event.call_id, `${event.tool} ${summarizeArgs(Object.fromEntries(Object.entries(event.args).filter(([key]) => key !== 'context' && key !== 'dry_run')), 32)}`);
      if (options.style === 'json') {
        out.write(`${JSON.stringify(event)}\n`);
        return;
      }
      // A call's line says what the fold holds: an event the fold does not apply (a repeat of a state the call is
      // already in, or past) draws nothing, as the page shows nothing new for it.
      if (!view.fold(event) && repeatable.has(event.type) && 'call_id' in event && view.tool(event.call_id)) return;
      if (options.style === 'tty') tty(event);
      else plain(event);
    },
    approvalCard(event, { full = false, keys = true } = {}) {
      if (options.style !== 'tty') return;
      endThinking();
      flushAnswer();
      ensureNewline();
      const undoOfLabel = event.undo_of ? seenCalls.get(event.undo_of) : undefined;
      write(`${formatApprovalCard(event, { palette, full, keys, columns: out.columns, rows: out.rows, ...(full ? {} : cardBudget(out.rows, event, out.columns)), ...(undoOfLabel ? { undoOfLabel } : {}) })}\n`);
    },
    diffLinesShown: (event) => cardBudget(out.rows, event, out.columns).maxDiffLines,
    markdown(text) {
      if (options.style === 'json' || !text.trim()) return;
      const stream = createMarkdownStream(options.style === 'tty' ? markdown : markdownToPlainText);
      const rendered = stream.push(text) + stream.flush();
      if (options.style === 'plain') {
        err.write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
        return;
      }
      ensureNewline();
      write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    },
    info(text) {
      if (options.style === 'json') return;
      if (options.style === 'plain') {
        err.write(`${text}\n`);
        return;
      }
      ensureNewline();
      write(`${wrapLines(text, out.columns)}\n`);
    },
    notice(text) {
      err.write(`${text}\n`);
    },
    error(text) {
      if (options.style === 'tty') {
        ensureNewline();
        write(`${wrapLines(`${palette.red('error:')} ${text}`, out.columns)}\n`);
      } else err.write(`skyflo: ${text}\n`);
    },
  };
}
