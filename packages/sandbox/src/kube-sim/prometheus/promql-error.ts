/** A query kube-sim's PromQL cannot parse or evaluate; the HTTP API answers it as Prometheus would (400 or 422). */
export class PromQLError extends Error {}

/** `1:16: parse error: …`: the position as Prometheus counts it (line, then the 1-based column of the byte). */
export function parseErrorAt(query: string, position: number, message: string): PromQLError {
  const before = query.slice(0, Math.max(0, Math.min(position, query.length)));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return new PromQLError(`${line}:${column}: parse error: ${message}`);
}
