/**
 * The approval card's cluster line, in large type: which cluster this change will hit and in which namespace
 * ("prod-eu · namespace payments"), its label as a badge (PROD in red) and the API server it is bound to. Nobody
 * should approve in prod believing it is staging.
 */
import { Server } from 'lucide-react';
import { ClusterLabelBadge } from './cluster-badge.tsx';
import { clusterHeadline, clusterOfCall, labelBadge, type ClusterFacts } from './cluster-labels.ts';

export function ApprovalCluster({ tool }: { tool: ClusterFacts }) {
  const cluster = clusterOfCall(tool);
  const headline = clusterHeadline(tool);
  if (!cluster || !headline) return null;
  const danger = labelBadge(cluster.label)?.tone === 'danger';
  return (
    <div className={`flex flex-wrap items-center gap-x-3 gap-y-1 border-b px-4 py-3 ${danger ? 'border-danger/40 bg-danger/10' : 'border-border bg-panel-2'}`} data-testid="approval-cluster">
      <Server className={`h-6 w-6 shrink-0 ${danger ? 'text-danger' : 'text-muted'}`} aria-hidden />
      <p className="text-2xl font-bold leading-tight tracking-tight" data-testid="approval-cluster-headline">
        {headline}
      </p>
      <ClusterLabelBadge label={cluster.label} />
      {cluster.server ? <code className="basis-full pl-9 font-mono text-xs text-muted">{cluster.server}</code> : null}
    </div>
  );
}

/**
 * The same facts, small, in the card's decision bar (which stays at the foot of the screen): on a phone a long diff
 * scrolls the cluster line away before Approve is in reach, and the person deciding still reads what and where.
 */
export function ApprovalTarget({ tool }: { tool: ClusterFacts & { tool: string } }) {
  const cluster = clusterOfCall(tool);
  const headline = clusterHeadline(tool);
  if (!cluster || !headline) return null;
  return (
    <p className="mb-1.5 flex flex-wrap items-center gap-x-1.5 gap-y-1 text-xs text-muted" data-testid="approval-target">
      <span>
        Deciding <code className="font-mono">{tool.tool}</code> on
      </span>{' '}
      <strong className="font-semibold">{headline}</strong>
      {labelBadge(cluster.label) ? (
        <>
          {' '}
          <ClusterLabelBadge label={cluster.label} />
        </>
      ) : null}
    </p>
  );
}
