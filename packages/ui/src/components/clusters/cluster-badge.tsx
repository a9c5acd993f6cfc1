/** A cluster's label as a badge (PROD in red), and the small cluster chip of a tool card. */
import { Server } from 'lucide-react';
import { Badge } from '../ui.tsx';
import { clusterOfCall, labelBadge, type ClusterFacts } from './cluster-labels.ts';

export function ClusterLabelBadge({ label }: { label?: string }) {
  const badge = labelBadge(label);
  return badge ? (
    <span data-testid="cluster-label">
      <Badge tone={badge.tone}>{badge.text}</Badge>
    </span>
  ) : null;
}

/** The cluster a tool call ran (or will run) on, in a tool card's header. */
export function ClusterChip({ tool }: { tool: ClusterFacts }) {
  const cluster = clusterOfCall(tool);
  if (!cluster) return null;
  const badge = labelBadge(cluster.label);
  return (
    <span className={`inline-flex shrink-0 items-center gap-1 rounded border px-1.5 py-0.5 text-xs font-medium ${badge?.tone === 'danger' ? 'border-danger/50 text-danger' : 'border-border text-muted'}`} data-testid="tool-card-cluster" title={cluster.server ? `${cluster.name} (${cluster.server})` : cluster.name}>
      <Server className="h-3 w-3" aria-hidden />
      {cluster.name}
    </span>
  );
}
