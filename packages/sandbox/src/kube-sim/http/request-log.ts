/**
 * kube-sim's request log (`sim.calls`): what the API server received, for tests to assert on instead of waiting and
 * hoping (e.g. "no PATCH of deployments/web was ever sent", "the watch was opened before the scale"). Like the
 * testkit's other simulators it never keeps credentials: no headers, no bodies (a Secret's data travels in them),
 * and query parameters whose name suggests a credential are masked. It is bounded, so a long-running `skyflo
 * sandbox` or a load test does not grow without limit: the oldest entries go first.
 */

/** One request as kube-sim received it. */
export interface KubeSimCall {
  /** 1, 2, 3, … in arrival order; keeps counting when old entries are dropped */
  sequence: number;
  /** HTTP method (GET, POST, PUT, PATCH, DELETE) */
  method: string;
  /** the URL path, e.g. /apis/apps/v1/namespaces/default/deployments/web */
  path: string;
  /** query parameters (the last value of a repeated one); credential-like names masked */
  query: Record<string, string>;
  /** the Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection) for resource requests */
  verb?: string;
  /** the user the request acted as (after impersonation), once authenticated; never a token */
  user?: string;
  /** the response status; 0 while the response is still open (a watch in progress); 101 for an accepted upgrade */
  status: number;
}

export interface RequestLog {
  /** the live log, oldest first; the same array for the server's lifetime */
  readonly calls: KubeSimCall[];
  /** Starts an entry for a request that just arrived; the server fills verb, user and status as it learns them. */
  begin(method: string, url: URL): KubeSimCall;
}

export const defaultCallLogLimit = 5_000;

const credentialParameter = /token|password|passwd|secret|auth|credential|key/i;

export function createRequestLog(options: { limit?: number } = {}): RequestLog {
  const limit = Math.max(1, options.limit ?? defaultCallLogLimit);
  const calls: KubeSimCall[] = [];
  let sequence = 0;
  return {
    calls,
    begin(method, url) {
      const query: Record<string, string> = {};
      for (const [name, value] of url.searchParams) query[name] = credentialParameter.test(name) ? '[redacted]' : value;
      const call: KubeSimCall = { sequence: (sequence += 1), method, path: url.pathname, query, status: 0 };
      calls.push(call);
      if (calls.length > limit) calls.splice(0, calls.length - limit);
      return call;
    },
  };
}
