import { AlertTriangle, BookOpen, Bot, History, Square } from 'lucide-react';
import { Link } from 'react-router-dom';
import { memo } from 'react';
import { CopyButton } from '../../../components/copy-button.tsx';
import { StreamingMarkdown } from '../../../components/markdown.tsx';
import { markdownToPlainText } from '../../../components/plain-text.ts';
import type { DecisionTarget, Entry } from '../state/timeline.ts';
import { ApprovalCard } from './approval-card.tsx';
import { ThinkingBlock } from './thinking-block.tsx';
import { ToolCard } from './tool-card.tsx';

type Assistant = Extract<Entry, { type: 'assistant' }>;

export function usageLine(usage: Assistant['usage']): string | undefined {
  const parts: string[] = [];
  if (usage.ttft_ms !== undefined) parts.push(`TTFT ${(usage.ttft_ms / 1000).toFixed(2)}s`);
  if (usage.completion_tokens && usage.ttr_ms && usage.ttft_ms !== undefined && usage.ttr_ms > usage.ttft_ms)
    parts.push(`${(usage.completion_tokens / ((usage.ttr_ms - usage.ttft_ms) / 1000)).toFixed(1)} tok/s`);
  if (usage.ttr_ms) parts.push(`${(usage.ttr_ms / 1000).toFixed(1)}s total`);
  if (usage.total_tokens) parts.push(`${usage.prompt_tokens ?? 0} in · ${usage.completion_tokens ?? 0} out${usage.cached_tokens ? ` · ${usage.cached_tokens} cached` : ''}`);
  return parts.length ? parts.join(' · ') : undefined;
}

/**
 * One answer: its text, thinking and tool calls in order. `decisionsLocked` says why its approval cards cannot be
 * decided right now (the run still previews the turn's other changes, a decision is being sent); a stopped answer
 * ends with a "Stopped" marker where it stopped.
 */
export const AssistantMessage = memo(function AssistantMessage(props: {
  entry: Assistant;
  decisionsLocked?: string;
  onDecide(target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean): void;
  /**
   * the last answer's failure is the page's run error (with Retry, under the timeline), so it is not repeated here;
   * an earlier answer's failure is said where it happened
   */
  failureShownBelow?: boolean;
}) {
  const { entry } = props;
  const text = entry.segments
    .filter((segment) => segment.kind === 'text')
    .map((segment) => segment.text)
    .join('\n\n');
  const usage = usageLine(entry.usage);
  return (
    <article className="group flex gap-3" aria-label="Skyflo">
      <div className="mt-1 flex h-7 w-7 shrink-0 items-center justify-center rounded-md bg-accent/15 text-accent" aria-hidden>
        <Bot className="h-4 w-4" />
      </div>
      <div className="min-w-0 flex-1">
        {entry.segments.map((segment) => {
          // Block-wise always: when the stream completes, the blocks are the same strings, so nothing is parsed again.
          if (segment.kind === 'text') return <StreamingMarkdown key={segment.id} text={segment.text} />;
          if (segment.kind === 'thinking') return <ThinkingBlock key={segment.id} text={segment.text} complete={segment.complete} durationMs={segment.durationMs} />;
          if (segment.tool.status === 'awaiting_approval') return <ApprovalCard key={segment.id} tool={segment.tool} locked={props.decisionsLocked} onDecide={props.onDecide} />;
          return <ToolCard key={segment.id} tool={segment.tool} />;
        })}
        {entry.runbooks?.length ? (
          // Issue 36: the team runbooks the model was given for this answer; each opens in Settings → Runbooks.
          <div className="mt-2 flex flex-wrap gap-1.5">
            {entry.runbooks.map((runbook) => (
              <Link
                key={runbook.name}
                to={`/settings/runbooks?runbook=${encodeURIComponent(runbook.name)}`}
                title={`Given to the model as reference (${runbook.reasons.join('; ')})`}
                className="inline-flex items-center gap-1 rounded-md border border-border bg-panel px-2 py-0.5 text-xs text-muted hover:text-fg"
                data-testid="runbook-chip"
              >
                <BookOpen className="h-3 w-3" aria-hidden />
                <span>Runbook: {runbook.title}</span>
              </Link>
            ))}
          </div>
        ) : null}
        {entry.seen_before?.length ? (
          // Issue 81: the requester's own resolved incidents the model was given; each opens that conversation.
          <div className="mt-2 flex flex-wrap gap-1.5">
            {entry.seen_before.map((incident) => (
              <Link
                key={incident.conversation_id}
                to={`/chat/${incident.conversation_id}`}
                title="A past incident of yours, given to the model as reference"
                className="inline-flex items-center gap-1 rounded-md border border-border bg-panel px-2 py-0.5 text-xs text-muted hover:text-fg"
                data-testid="seen-before-chip"
              >
                <History className="h-3 w-3" aria-hidden />
                <span>
                  Seen before: {incident.title}, {incident.date}, resolved by {incident.resolved_by}
                </span>
              </Link>
            ))}
          </div>
        ) : null}
        {entry.stopped ? (
          <p className="mt-2 inline-flex items-center gap-1.5 rounded-md border border-warn/50 bg-warn/10 px-2 py-0.5 text-xs font-medium text-warn" data-testid="stopped-marker">
            <Square className="h-3 w-3 fill-current" aria-hidden /> Stopped — the answer ends here because the run was stopped
          </p>
        ) : null}
        {entry.error && !props.failureShownBelow ? (
          <p className="mt-2 flex items-start gap-1.5 rounded-md border border-danger/40 bg-danger/10 px-2 py-1 text-xs text-danger" data-testid="answer-error">
            <AlertTriangle className="mt-0.5 h-3.5 w-3.5 shrink-0" aria-hidden /> <span className="min-w-0 break-words">{entry.error}</span>
          </p>
        ) : null}
        <div className="mt-1 flex h-5 items-center gap-3 text-xs text-muted opacity-0 transition group-focus-within:opacity-100 group-hover:opacity-100">
          {text ? (
            <>
              <CopyButton label="Copy text" text={() => markdownToPlainText(text)} />
              <CopyButton label="Copy Markdown" text={() => text} />
            </>
          ) : null}
          {usage ? <span>{usage}</span> : null}
        </div>
      </div>
    </article>
  );
});
