import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError, skyflo } from '../../lib/api.ts';
import { ErrorNote } from '../../components/ui.tsx';
import { CommandText } from '../../components/command-text.tsx';
import { useMe } from '../../lib/session.tsx';
import { useWaitingForMe } from '../../lib/pending-approvals.tsx';
import { ClusterSwitcher } from '../../components/clusters/cluster-switcher.tsx';
import { useClusters } from '../../components/clusters/clusters-query.ts';
import { HealthStrip } from '../../components/clusters/health-strip.tsx';
import { sandboxDemoModel, sandboxDemoQuestions } from '@skyflo/protocol';
import { Composer } from './components/composer.tsx';

const suggestions = ['Which pods are not running in any namespace?', 'Show me the deployments in default', 'Why is my last rollout stuck?'];

/** "/": a new conversation starts from this input; its first message is sent when the chat page opens. */
export function HomePage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const admin = me.data?.role === 'admin';
  // Everyone signed in may read whether a model is configured; an engine without the endpoint (404) is configured by
  // its environment, so the error is simply not shown.
  const model = useQuery({ queryKey: ['settings', 'llm'], queryFn: () => skyflo.llmSettings(), retry: false, enabled: me.isSuccess });
  const noModel = model.data !== undefined && !model.data.configured;
  // the sandbox's scripted demo model (no model key): say so, and offer the questions it knows
  const demoModel = model.data?.model === sandboxDemoModel;
  const waitingForMe = useWaitingForMe();
  // `?cluster=NAME` (the header's switcher): the new conversation is pinned to that cluster by its first message
  const [search, setSearch] = useSearchParams();
  const context = search.get('cluster') ?? undefined;
  // No cluster can be listed (no kubeconfig on a first run): the engine's 503 says why and what to do. Said here, in
  // place of a cluster picker that would have nothing to offer, and in the composer, since no tool can run.
  const clusters = useClusters();
  const noCluster = clusters.error instanceof ApiError && clusters.error.status === 503 ? clusters.error.detail : undefined;
  const hasClusters = (clusters.data?.clusters.length ?? 0) > 0;
  const placeholder = noModel
    ? 'Chats cannot run until a model is configured (see above).'
    : noCluster
      ? 'No tool can run until a cluster is configured (see above).'
      : demoModel
        ? `Ask the demo model, e.g. "${sandboxDemoQuestions[0]}"`
        : 'Ready.';
  const offered: readonly string[] = demoModel ? sandboxDemoQuestions : suggestions;

  async function start(text: string) {
    setBusy(true);
    setError(undefined);
    try {
      const created = await skyflo.createConversation();
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      navigate(`/chat/${created.id}`, { state: { initialMessage: text, ...(context ? { context } : {}) } });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setBusy(false);
    }
  }

  const name = me.data?.full_name?.split(' ')[0];
  return (
    // centred when it fits; on a phone it scrolls below the top bar instead of overflowing above it
    <div className="h-full overflow-y-auto">
      <div className="flex min-h-full flex-col items-center justify-center px-4 py-6 sm:px-6">
      <div className="w-full max-w-2xl">
        <h1 className="text-2xl font-semibold">{name ? `Hello ${name}.` : 'Hello.'} What should we look at?</h1>
        <p className="mt-1 text-sm text-muted">Ask about your cluster or pipelines. Reads run at once; every change shows its exact diff and waits for your approval.</p>
        {demoModel ? (
          <p role="note" aria-label="Demo model" className="mt-3 rounded-md border border-accent/40 bg-accent/5 p-3 text-sm">
            <strong>Demo model.</strong> This sandbox answers with a scripted model that knows its two incidents, so you can
            try an investigation, an approval, the verification and an Undo without a model key. Start the sandbox with{' '}
            <code>LLM_MODEL</code> set to use a real one.
          </p>
        ) : null}
        {noModel ? (
          <div role="status" className="mt-4 rounded-md border border-warn/50 bg-warn/10 px-3 py-2 text-sm">
            No model is configured yet, so chats cannot run.{' '}
            {admin ? (
              <>
                <Link to="/settings/model" className="font-medium text-accent underline">
                  Choose a provider and model in Settings
                </Link>
                .
              </>
            ) : (
              'An admin must configure a model before you can chat.'
            )}
            {model.data?.problem && model.data.source !== 'none' ? (
              <span className="mt-1 block text-xs text-muted">
                <CommandText text={model.data.problem} />
              </span>
            ) : null}
          </div>
        ) : null}
        {noCluster ? (
          <div role="status" className="mt-4 rounded-md border border-warn/50 bg-warn/10 px-3 py-2 text-sm" data-testid="no-cluster">
            <p className="font-medium">No cluster to act on.</p>
            <p className="mt-1 break-words">
              <CommandText text={noCluster} />
            </p>
          </div>
        ) : null}
        {context || hasClusters ? (
          <div className="mt-6 flex flex-wrap items-center gap-2 text-sm text-muted" data-testid="new-conversation-cluster">
            <span>{context ? 'New conversation pinned to' : 'New conversation on'}</span>
            <ClusterSwitcher pinned={context} chooseLabel="Start the conversation on…" onChoose={(name) => setSearch({ cluster: name }, { replace: true })} />
          </div>
        ) : (
          <div className="mt-6" />
        )}
        <div className="mt-2">
          <Composer placeholder={placeholder} onSend={(text) => void start(text)} disabled={busy} autoFocus />
        </div>
        {error ? (
          <div className="mt-3">
            <ErrorNote>{error}</ErrorNote>
          </div>
        ) : null}
        {waitingForMe.items.length > 0 ? (
          <section aria-labelledby="waiting-heading" className="mt-6 rounded-md border border-warn/50 bg-warn/5 p-3">
            <h2 id="waiting-heading" className="text-sm font-semibold">
              Waiting for your decision ({waitingForMe.items.length}{waitingForMe.more ? '+' : ''})
            </h2>
            <ul className="mt-2 space-y-1">
              {waitingForMe.items.slice(0, 10).map((item) => (
                <li key={`${item.conversation_id}:${item.call_id}`} className="text-sm">
                  <Link to={`/chat/${item.conversation_id}`} className="font-medium text-accent underline">
                    {item.policy_reason ?? item.tool}
                  </Link>
                  <span className="text-muted"> in {item.conversation_title || 'an untitled chat'}{item.requested_by.email ? `, asked by ${item.requested_by.email}` : ''}</span>
                </li>
              ))}
            </ul>
            {waitingForMe.items.length > 10 || waitingForMe.more ? (
              <Link to="/approvals" className="mt-2 inline-block text-xs text-accent underline">
                Every call waiting, under Pending approvals
              </Link>
            ) : null}
          </section>
        ) : null}
        <div className="mt-4 flex flex-wrap gap-2">
          {offered.map((text) => (
            <button key={text} type="button" disabled={busy} onClick={() => void start(text)} className="rounded-full border border-border bg-panel px-3 py-1 text-xs text-muted hover:text-fg">
              {text}
            </button>
          ))}
        </div>
        <HealthStrip />
      </div>
      </div>
    </div>
  );
}
