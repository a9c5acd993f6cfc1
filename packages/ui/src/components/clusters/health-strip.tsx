/**
 * The home page's health strip: every cluster Skyflo may act on, reachable or not, and why not (the engine's words:
 * file, context, error). Asked again every 30 s, so a cluster that goes down shows here without a reload.
 */
import { CircleCheck, CircleX } from 'lucide-react';
import { ApiError } from '../../lib/api.ts';
import { ClusterLabelBadge } from './cluster-badge.tsx';
import { healthStrip } from './cluster-labels.ts';
import { useClusters, useHealth } from './clusters-query.ts';

export function HealthStrip() {
  const clusters = useClusters({ refresh: true });
  const health = useHealth({ refresh: true });
  const list = clusters.data?.clusters;
  // 503: no cluster can be listed at all; the home page says why, above its composer
  if (clusters.error instanceof ApiError && clusters.error.status === 503) return null;
  if (clusters.isError) {
    return (
      <p role="status" className="mt-6 text-sm text-warn" data-testid="health-strip-error">
        Could not read the clusters: {clusters.error.message}
      </p>
    );
  }
  if (!list || list.length === 0) return null;
  const items = healthStrip(list, health.data);
  const down = items.filter((item) => !item.reachable).length;
  return (
    <section aria-labelledby="health-strip-heading" className="mt-6" data-testid="health-strip">
      <h2 id="health-strip-heading" className="mb-2 text-xs font-semibold uppercase tracking-wide text-muted">
        Clusters {down > 0 ? <span className="text-danger">· {down} unreachable</span> : <span className="text-ok">· all reachable</span>}
      </h2>
      <ul className="grid gap-2 sm:grid-cols-2">
        {items.map((item) => (
          <li
            key={item.name}
            data-testid="health-strip-cluster"
            data-cluster={item.name}
            data-reachable={item.reachable ? 'true' : 'false'}
            className={`flex min-w-0 items-start gap-2 rounded-md border px-3 py-2 text-sm ${item.reachable ? 'border-border bg-panel' : 'border-danger/50 bg-danger/10'}`}
          >
            {item.reachable ? <CircleCheck className="mt-0.5 h-4 w-4 shrink-0 text-ok" aria-hidden /> : <CircleX className="mt-0.5 h-4 w-4 shrink-0 text-danger" aria-hidden />}
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-center gap-1.5 font-medium">
                {item.name}
                <ClusterLabelBadge label={item.label} />
                {item.current ? <span className="text-xs font-normal text-muted">(default)</span> : null}
                <span className="sr-only">{item.reachable ? 'reachable' : 'unreachable'}</span>
              </p>
              <p className={`break-words text-xs ${item.reachable ? 'text-muted' : 'text-danger'}`} data-testid="health-strip-detail">
                {item.reachable ? item.detail : `Unreachable: ${item.detail}`}
              </p>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
