/**
 * Answers only requests addressed to this engine by name. Why: a page on an attacker's domain whose DNS is rebound
 * to 127.0.0.1 reaches a local engine from the user's browser with `Host: attacker.example`; same-origin rules do
 * not stop that, a Host check does (it registered the first admin of a fresh local install before this check).
 * Health routes stay reachable by any Host, because kubelet probes address pods by IP.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Host header → lower-case host name without port (IPv6 brackets removed). */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end > 0 ? value.slice(1, end) : undefined;
  }
  return value.split(':')[0] || undefined;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The hosts a server bound to `bindHost` with these settings answers to; '*' means any. */
export function allowedHostNames(input: { bindHost: string; publicUrl?: string; allowedHosts: string[] }): Set<string> | '*' {
  if (input.allowedHosts.includes('*')) return '*';
  const names = new Set(input.allowedHosts.map((host) => hostNameOf(host) ?? host.toLowerCase()));
  if (input.publicUrl) names.add(new URL(input.publicUrl).hostname.toLowerCase().replace(/^\[|\]$/g, ''));
  const bind = input.bindHost.toLowerCase();
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') names.add(bind.replace(/^\[|\]$/g, ''));
  return names;
}

export function registerHostAllowlist(app: FastifyInstance, options: { bindHost: string; publicUrl?: string; allowedHosts: string[]; healthPrefix: string; exemptPaths?: string[] }): void {
  const allowed = allowedHostNames(options);
  if (allowed === '*') return;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const host = hostNameOf(request.headers.host);
    if (host && (isLoopbackHost(host) || allowed.has(host))) return;
    if (request.url.startsWith(options.healthPrefix)) return;
    // Probes and scrapers address a pod by its IP; what they read (health, counters) is no one's data.
    if (options.exemptPaths?.includes(request.url.split('?')[0]!)) return;
    await reply
      .code(403)
      .send({ detail: `This engine does not answer to Host "${request.headers.host ?? ''}". If that is how users reach it, add the name to ALLOWED_HOSTS or set PUBLIC_URL.` });
    return reply;
  });
}
