import { AlertTriangle, Info, ListOrdered, Send, X } from 'lucide-react';
import { useCallback, useEffect, useRef } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useMe } from '../../lib/session.tsx';
import { Button, ErrorNote, Spinner } from '../../components/ui.tsx';
import { useWaitingForOthers } from '../../lib/pending-approvals.tsx';
import { ClusterSwitcher } from '../../components/clusters/cluster-switcher.tsx';
import { ChatTimeline } from './components/chat-timeline.tsx';
import { Composer } from './components/composer.tsx';
import { target as targetOf } from '../../lib/tool-card-labels.ts';
import { decisionTargets, useChatStore } from './state/chat-store.ts';
import { pendingApprovals, type DecisionTarget } from './state/timeline.ts';

/** A failed run: the engine's reason as text (no links), a Retry of the last question, and for a model failure Settings → Model for admins. */
function RunError({ error, retry }: { error: string; retry?: () => void }) {
  const me = useMe();
  const modelFailure = /\b(model|LLM|provider|API key)\b/i.test(error);
  return (
    <div role="alert" data-testid="run-error" className="flex items-start gap-2 rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
      <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
      <span className="min-w-0 flex-1 break-words">{error}</span>
      <span className="flex shrink-0 items-center gap-2">
        {modelFailure && me.data?.role === 'admin' ? (
          <Link to="/settings/model" className="font-medium underline">
            Settings → Model
          </Link>
        ) : null}
        {retry ? (
          <Button size="sm" onClick={retry}>
            Retry
          </Button>
        ) : null}
      </span>
    </div>
  );
}

export function ChatPage() {
  const { id } = useParams<{ id: string }>();
  const location = useLocation();
  const navigate = useNavigate();
  const store = useChatStore();
  const { timeline, queue, batch } = store;
  const scroller = useRef<HTMLDivElement>(null);
  // stable, so the memoised entries do not re-render for every streamed token
  const decide = useCallback((target: DecisionTarget, approve: boolean, reason?: string, autoRevert?: boolean, withoutPreview?: boolean) => void useChatStore.getState().decide(target, approve, reason, autoRevert, withoutPreview), []);

  useEffect(() => {
    if (!id) return;
    const { initialMessage: initial, context } = (location.state as { initialMessage?: string; context?: string } | null) ?? {};
    // history.state survives a reload: drop the first message so reloading does not send it again
    if (initial) navigate(location.pathname, { replace: true, state: null });
    void useChatStore.getState().open(id, initial, context);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const streaming = timeline.status === 'streaming';
  const lastQuestion = timeline.entries.findLast((entry) => entry.type === 'user')?.content;
  // the timeline mounts once this conversation is loaded, so it opens at its end (ChatTimeline)
  const loaded = store.conversationId === id && !store.loading;
  // The cards on screen, as rendered: "Approve all" decides exactly these (a call proposed after the click is not one).
  const shown = pendingApprovals(timeline);
  const targets = decisionTargets(timeline);
  const approvable = shown.length;
  const waitingForOthers = useWaitingForOthers(store.conversationId ?? undefined, shown.map((tool) => tool.call_id));
  const decisionsLocked = streaming
    ? 'The agent is still preparing this turn; every change it proposes is shown before any can be decided.'
    : store.batch
      ? 'Deciding the listed changes…'
      : store.deciding
        ? 'Sending the decision…'
        : undefined;
  const totals = timeline.entries.reduce(
    (sum, entry) => (entry.type === 'assistant' ? { tokens: sum.tokens + (entry.usage.total_tokens ?? 0), runs: sum.runs + 1 } : sum),
    { tokens: 0, runs: 0 },
  );

  if (store.loadError) {
    return (
      <div className="p-10">
        <ErrorNote>{store.loadError}</ErrorNote>
      </div>
    );
  }

  return (
    <div className="flex h-full flex-col">
      {/* on a phone the title takes its own line, so the cluster switcher keeps its whole name instead of "k… · …" */}
      <header className="flex min-h-12 shrink-0 flex-wrap items-center gap-x-3 gap-y-1 border-b border-border px-4 py-2 sm:flex-nowrap sm:px-6">
        <h1 className="w-full break-words text-sm font-semibold sm:w-auto sm:truncate" data-testid="conversation-title">
          {timeline.title || 'New conversation'}
        </h1>
        {/* the cluster this conversation acts on; another cluster means a new conversation pinned there */}
        {loaded ? (
          <div className="flex min-w-0 max-w-full shrink-0">
            <ClusterSwitcher pinned={store.cluster} chooseLabel="New conversation on…" onChoose={(name) => navigate(`/?cluster=${encodeURIComponent(name)}`)} />
          </div>
        ) : null}
        <span className="ml-auto text-xs text-muted" role="status" aria-live="polite" data-testid="run-status">
          {streaming || store.following ? 'Working…' : timeline.status === 'awaiting_approval' ? (waitingForOthers ? 'Waiting for an approver' : 'Waiting for your decision') : timeline.status === 'stopped' ? 'Stopped' : ''}
        </span>
      </header>
      <div ref={scroller} className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-3xl px-4 sm:px-6" data-testid="timeline">
          {loaded && timeline.entries.length > 0 ? (
            <ChatTimeline key={id} entries={timeline.entries} scroller={scroller} thinking={streaming && timeline.entries.at(-1)?.type !== 'assistant'} decisionsLocked={decisionsLocked} onDecide={decide} />
          ) : (
            <div className="py-6">{!loaded ? <Spinner label="Loading conversation" /> : streaming ? <Spinner label="Skyflo is thinking…" /> : <p className="text-sm text-muted">No messages yet.</p>}</div>
          )}
        </div>
      </div>
      <div className="shrink-0 border-t border-border bg-bg px-4 pb-4 pt-3 sm:px-6">
        <div className="mx-auto max-w-3xl space-y-2">
          {timeline.notice ? (
            <p role="status" className="flex items-center gap-2 text-sm text-warn">
              <Info className="h-4 w-4" aria-hidden /> {timeline.notice}
            </p>
          ) : null}
          {timeline.error ? <RunError error={timeline.error} retry={streaming || !lastQuestion ? undefined : () => store.send(lastQuestion)} /> : null}
          {(approvable >= 2 && !waitingForOthers && !streaming) || batch ? (
            <div className="flex items-center gap-3 rounded-md border border-warn/50 bg-warn/10 px-3 py-2 text-sm" data-testid="batch-bar">
              <div className="min-w-0">
                <p className="font-medium">{batch ? `${batch.approve ? 'Approving' : 'Declining'} ${batch.done + 1}/${batch.total}…` : `${approvable} approvals pending`}</p>
                {!batch ? (
                  <p className="truncate text-xs text-muted" data-testid="batch-covers">
                    Covers the {approvable} cards above: {shown.map((tool) => `${tool.tool}${targetOf(tool.args) ? ` ${targetOf(tool.args)}` : ''}`).join(' · ')}
                  </p>
                ) : null}
              </div>
              <span className="ml-auto flex shrink-0 gap-2">
                <Button size="sm" variant="secondary" disabled={!!batch || streaming} onClick={() => void store.decideAll(false, targets)}>
                  Decline all
                </Button>
                <Button size="sm" variant="primary" disabled={!!batch || streaming} onClick={() => void store.decideAll(true, targets)}>
                  Approve all
                </Button>
              </span>
            </div>
          ) : null}
          {queue.length > 0 ? (
            <div className="rounded-md border border-border bg-panel px-3 py-2" data-testid="queue">
              <p className="mb-1 flex items-center gap-1.5 text-xs font-medium text-muted">
                <ListOrdered className="h-3.5 w-3.5" aria-hidden /> {queue.length} queued
                {approvable > 0 ? ' — sent after the pending approvals are decided' : ''}
              </p>
              {queue.some((item) => item.held) ? <p className="mb-1 text-xs text-warn">Not sent after Stop or a reload: send it now or discard it.</p> : null}
              <ul className="space-y-1">
                {queue.map((item) => (
                  <li key={item.id} className="flex items-center gap-2 text-sm">
                    <span className="min-w-0 flex-1 truncate">{item.content}</span>
                    <Button size="sm" variant="ghost" onClick={() => store.sendNow(item.id)} aria-label={`Send now: ${item.content}`}>
                      <Send className="h-3.5 w-3.5" aria-hidden /> Send now
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => store.removeQueued(item.id)} aria-label={`${item.held ? 'Discard' : 'Remove from queue'}: ${item.content}`}>
                      <X className="h-3.5 w-3.5" aria-hidden />
                      {item.held ? 'Discard' : null}
                    </Button>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <Composer
            onSend={(text) => store.send(text)}
            onStop={() => void store.stop()}
            streaming={streaming}
            disabled={store.loading}
            autoFocus
            footer={totals.tokens ? `${totals.tokens.toLocaleString()} tokens in this conversation` : 'Enter to send · Shift+Enter for a new line'}
          />
        </div>
      </div>
    </div>
  );
}
