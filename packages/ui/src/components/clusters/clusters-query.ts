/**
 * GET /clusters and /health as react-query hooks, shared by the header, the home page's health strip and Settings.
 * An engine without the endpoint (404) has one unnamed cluster: the hooks answer `undefined` and nothing is shown.
 */
import type { ClustersResponse, HealthResponse } from '@skyflo/protocol';
import { useQuery } from '@tanstack/react-query';
import { ApiError, skyflo } from '../../lib/api.ts';

/** How often the home page asks again whether the clusters are reachable. */
export const CLUSTER_REFRESH_MS = 30_000;

export function useClusters(options: { refresh?: boolean } = {}) {
  return useQuery<ClustersResponse | null>({
    queryKey: ['clusters'],
    queryFn: () => skyflo.clusters().catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? null : Promise.reject(error))),
    retry: false,
    ...(options.refresh ? { refetchInterval: CLUSTER_REFRESH_MS } : {}),
  });
}

export function useHealth(options: { refresh?: boolean } = {}) {
  return useQuery<HealthResponse>({ queryKey: ['health'], queryFn: () => skyflo.health(), retry: false, ...(options.refresh ? { refetchInterval: CLUSTER_REFRESH_MS } : {}) });
}
