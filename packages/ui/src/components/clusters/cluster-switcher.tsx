/**
 * The conversation's cluster and default namespace, with a switcher. A conversation stays on the cluster it was
 * pinned to, so choosing another cluster starts a new conversation there (the home page, `?cluster=NAME`, whose first
 * message carries the chat request's `context`).
 */
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { Check, ChevronDown, Server } from 'lucide-react';
import { ClusterLabelBadge } from './cluster-badge.tsx';
import { engineOnlyEnforcement, engineOnlyWarning } from '../../lib/approval-enforcement.ts';
import { effectiveCluster, labelBadge } from './cluster-labels.ts';
import { useClusters } from './clusters-query.ts';

export function ClusterSwitcher({ pinned, onChoose, chooseLabel }: { pinned?: string; onChoose(name: string): void; chooseLabel: string }) {
  const clusters = useClusters();
  const list = clusters.data?.clusters;
  const { cluster, name } = effectiveCluster(list, pinned);
  if (!name) return null;
  const danger = labelBadge(cluster?.label)?.tone === 'danger';
  const namespace = cluster?.default_namespace ?? 'default';
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger
        className={`flex min-w-0 items-center gap-1.5 rounded-md border px-2 py-1 text-sm hover:bg-panel-2 ${danger ? 'border-danger/50' : 'border-border'}`}
        aria-label={`Cluster ${name}, namespace ${namespace}. ${chooseLabel}`}
        data-testid="cluster-switcher"
        data-cluster={name}
      >
        <Server className={`h-4 w-4 shrink-0 ${danger ? 'text-danger' : 'text-muted'}`} aria-hidden />
        <span className="truncate font-semibold" data-testid="header-cluster">
          {name}
        </span>
        <ClusterLabelBadge label={cluster?.label} />
        <span className="truncate text-muted" data-testid="header-namespace">
          · ns {namespace}
        </span>
        {cluster && !cluster.reachable ? <span className="text-xs font-medium text-danger">unreachable</span> : null}
        <ChevronDown className="h-3.5 w-3.5 shrink-0 text-muted" aria-hidden />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content align="end" className="z-50 min-w-64 rounded-md border border-border bg-panel p-1 shadow-lg">
          <DropdownMenu.Label className="px-2 py-1 text-xs text-muted">{chooseLabel}</DropdownMenu.Label>
          {(list ?? []).map((entry) => (
            <DropdownMenu.Item
              key={entry.name}
              onSelect={() => onChoose(entry.name)}
              className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-panel-2"
              data-testid="cluster-option"
            >
              <span className={`h-2 w-2 shrink-0 rounded-full ${entry.reachable ? 'bg-ok' : 'bg-danger'}`} aria-hidden />
              <span className="font-medium">{entry.name}</span>
              <ClusterLabelBadge label={entry.label} />
              {!entry.reachable ? <span className="text-xs text-danger">unreachable</span> : null}
              {engineOnlyEnforcement(entry) ? (
                <span className="text-xs text-warn" title={engineOnlyWarning} data-testid="cluster-option-engine-only">
                  engine-enforced
                </span>
              ) : null}
              {entry.name === name ? <Check role="img" className="ml-auto h-4 w-4 text-accent" aria-label="current" /> : null}
            </DropdownMenu.Item>
          ))}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
