import { Ban, CheckCircle2, ChevronRight, CircleDashed, Clock, Download, Loader2, ShieldQuestion, ThumbsUp, XCircle } from 'lucide-react';
import { lazy, Suspense, useState } from 'react';
import { toolStatusLabels } from '@skyflo/protocol';
import { TerminalOutput } from '../../../components/terminal-output.tsx';
import { Badge } from '../../../components/ui.tsx';
import type { ToolStatus, ToolView } from '../state/timeline.ts';
import { ClusterChip } from '../../../components/clusters/cluster-badge.tsx';
import { DecisionNote, wasDecided } from './decision-note.tsx';
import { distinguishingArgs, outputCut, target } from '../../../lib/tool-card-labels.ts';
import { VerifyAndUndo } from './verification-view.tsx';

// recharts is large: loaded only when a card has a chart to draw (issue 36)
const PrometheusChart = lazy(() => import('./prometheus-chart.tsx'));

/** the protocol's words, shared with the terminal client (issue 37) */
export const statusLabel: Record<ToolStatus, string> = toolStatusLabels;

const statusIcon: Record<ToolStatus, { icon: typeof Clock; className: string }> = {
  pending: { icon: CircleDashed, className: 'text-muted' },
  awaiting_approval: { icon: ShieldQuestion, className: 'text-warn' },
  approved: { icon: ThumbsUp, className: 'text-accent' },
  denied: { icon: Ban, className: 'text-danger' },
  executing: { icon: Loader2, className: 'text-accent animate-spin' },
  completed: { icon: CheckCircle2, className: 'text-ok' },
  error: { icon: XCircle, className: 'text-danger' },
};

/** Output that reads as YAML (kubectl -o yaml, a manifest), so it is highlighted like a YAML code block. */
function outputLanguage(args: Record<string, unknown>, text: string): string | undefined {
  if (args['output'] === 'yaml' || /^apiVersion: \S/m.test(text)) return 'yaml';
  if (args['output'] === 'json' || /^\s*[[{]/.test(text)) return 'json';
  return undefined;
}

function downloadText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function ArgsView({ args }: { args: Record<string, unknown> }) {
  return (
    <pre tabIndex={0} aria-label="Arguments" className="overflow-auto rounded-md border border-border bg-panel-2 p-3 font-mono text-xs leading-5">
      {JSON.stringify(args, null, 2)}
    </pre>
  );
}

/**
 * One tool call: state icon, title, who decided it (when it needed a decision), why it failed (when it did), and
 * (expanded) its exact arguments and terminal-style result.
 */
export function ToolCard({ tool }: { tool: ToolView }) {
  const [open, setOpen] = useState(false);
  // Issue 73 item 6: a failed call says why on the card itself (a NOT_EXECUTED refusal is the whole story), not only
  // once opened; a card that failed while on screen is no exception.
  const failure = tool.status === 'error' && tool.error ? tool.error : undefined;
  const { icon: Icon, className } = statusIcon[tool.status];
  const output = tool.result?.map((part) => part.text).join('\n') ?? '';
  const cut = outputCut(output);
  const extra = distinguishingArgs(tool.args);
  return (
    <div className="my-2 rounded-lg border border-border bg-panel" data-testid="tool-card" data-status={tool.status} data-tool={tool.tool}>
      {/* on a phone the header wraps instead of cutting the title, tool and target to "Get Kub… k… · depl…" */}
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="flex w-full flex-wrap items-center gap-x-2 gap-y-0.5 px-3 py-2 text-left sm:flex-nowrap">
        <ChevronRight className={`h-4 w-4 shrink-0 text-muted transition-transform ${open ? 'rotate-90' : ''}`} aria-hidden />
        <Icon className={`h-4 w-4 shrink-0 ${className}`} aria-hidden />
        <span className="min-w-0 break-words text-sm font-medium sm:truncate">{tool.title}</span>
        <code className="min-w-0 break-all font-mono text-xs text-muted sm:truncate">{tool.tool}</code>
        <ClusterChip tool={tool} />
        {target(tool.args) ? <span className="min-w-0 break-all text-xs text-muted sm:truncate">· {target(tool.args)}</span> : null}
        {extra ? (
          <code className="min-w-0 break-all font-mono text-xs text-muted sm:truncate" data-testid="tool-card-args" title={extra}>
            {extra}
          </code>
        ) : null}
        <span className="ml-auto flex shrink-0 items-center gap-1.5">
          {cut ? (
            <span title={`Output cut: ${cut}`}>
              <Badge tone="warn">Output truncated</Badge>
            </span>
          ) : null}
          {tool.destructive ? <Badge tone="danger">Destructive</Badge> : null}
          <Badge tone={tool.status === 'completed' ? 'ok' : tool.status === 'error' || tool.status === 'denied' ? 'danger' : tool.status === 'awaiting_approval' ? 'warn' : 'neutral'}>{statusLabel[tool.status]}</Badge>
        </span>
      </button>
      {wasDecided(tool) ? <DecisionNote tool={tool} /> : null}
      {failure !== undefined ? (
        <div role="note" aria-label="Why it failed" data-testid="tool-card-error" className="flex items-start gap-2 border-t border-border px-3 py-2 text-sm">
          <XCircle className="mt-0.5 h-4 w-4 shrink-0 text-danger" aria-hidden />
          {/* the whole reason, wrapped at its line breaks and inside long names, so a phone shows all of it */}
          <p className="min-w-0 flex-1 whitespace-pre-wrap break-words text-danger">
            {tool.error_code ? <code className="mr-1.5 font-mono text-xs font-semibold">{tool.error_code}</code> : null}
            {failure}
          </p>
        </div>
      ) : null}
      {/* a PromQL range result is drawn even while the card is closed: it is what people would rather look at */}
      {tool.chart && tool.status === 'completed' ? (
        <Suspense fallback={<div className="h-44 px-3 pb-3 text-xs text-muted">Loading chart…</div>}>
          <PrometheusChart chart={tool.chart} />
        </Suspense>
      ) : null}
      {/* the engine's verification of an executed change (live) and its Undo */}
      <VerifyAndUndo tool={tool} />
      {open ? (
        <div className="space-y-2 border-t border-border px-3 py-3">
          {/* the output first: it is what the card was opened for; the arguments follow */}
          {output ? (
            <TerminalOutput
              text={output}
              label={cut ? `Result (truncated: ${cut})` : 'Result'}
              language={outputLanguage(tool.args, output)}
              actions={
                <button type="button" onClick={() => downloadText(output, `${tool.tool}-${tool.call_id}.txt`)} className="inline-flex items-center gap-1 font-medium text-accent hover:underline">
                  <Download className="h-3.5 w-3.5" aria-hidden />
                  Download
                </button>
              }
            />
          ) : null}
          <ArgsView args={tool.args} />
          {tool.error && failure === undefined ? <TerminalOutput text={tool.error_code ? `[${tool.error_code}] ${tool.error}` : tool.error} label="Error" tone="error" /> : null}
        </div>
      ) : null}
    </div>
  );
}
