/** Quantity parsing and rendering for the metrics.k8s.io tools, matching `kubectl top` units. */
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { clients } from './kubectl-common.ts';
import { statusError } from '../../kube/create-kube-http.ts';

const BINARY: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity ("250m", "1.5", "128Mi", "12345n") as a plain number (cores or bytes). */
export function parseQuantity(quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?[0-9.]+(?:e[+-]?\d+)?)([a-zA-Z]*)$/.exec(quantity.trim());
  if (!match) return 0;
  const [, number, suffix] = match;
  const factor = BINARY[suffix] ?? DECIMAL[suffix] ?? 1;
  return Number(number) * factor;
}

export function formatCpu(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / 1024 ** 2)}Mi`;
}

/** GET on metrics.k8s.io, with a clear error when metrics-server is missing. */
export async function getMetrics<T>(deps: ToolDeps, path: string, query: Record<string, string | undefined>, signal: AbortSignal): Promise<T> {
  const response = await clients(deps).http.request({ path: `/apis/metrics.k8s.io/v1beta1${path}`, query, signal });
  if (response.status === 404 || response.status === 503) {
    throw new ToolInputError('Metrics API not available: metrics.k8s.io is not served by this cluster.', {
      hint: 'install metrics-server, or use k8s_describe to see resource requests and limits instead',
      code: 'UNAVAILABLE',
    });
  }
  if (response.status >= 400) throw statusError(response);
  return JSON.parse(response.text) as T;
}
