/**
 * Refuses state-changing requests that a page on another site made a browser send (CSRF). Why: the session lives in
 * a cookie, which the browser attaches to a cross-site form post too; a form on another site could create
 * conversations as the victim, or log the victim into the attacker's account (login CSRF) and read what they type.
 *
 * An unsafe request (POST, PUT, PATCH, DELETE; logins included) whose Origin, or else Referer, is present must come
 * from this engine's own origin (the Host it was addressed by), PUBLIC_URL, an ALLOWED_HOSTS name or CORS_ORIGINS.
 * Clients that send neither header (the CLI, curl, scripts) are not browsers riding a cookie and keep working, as do
 * requests with a bearer token: a cross-site page cannot set Authorization without passing CORS.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hostNameOf } from './host-allowlist.ts';

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface CrossSiteOptions {
  publicUrl?: string;
  /** ALLOWED_HOSTS: a name (any port) or name:port; '*' widens the Host check only, never the origins */
  allowedHosts: string[];
  /** CORS_ORIGINS: the development UI's origins, which call the API with credentials */
  corsOrigins: string[];
}

/** The origin a request came from, per Origin or else Referer; undefined when the client sent neither. */
function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin) return origin;
  const referer = request.headers.referer;
  if (typeof referer !== 'string' || !referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

export function createOriginCheck(options: CrossSiteOptions): (origin: string, ownHost: string | undefined) => boolean {
  const exactOrigins = new Set(options.corsOrigins.map((origin) => origin.replace(/\/$/, '').toLowerCase()));
  if (options.publicUrl) exactOrigins.add(new URL(options.publicUrl).origin.toLowerCase());
  // an entry with a port allows that host:port only; a bare name allows it on any port
  const hostEntries = options.allowedHosts
    .filter((entry) => entry !== '*')
    .map((entry) => entry.trim().toLowerCase())
    .map((entry) => ({ name: hostNameOf(entry), withPort: /^\[.*\]:\d+$|^[^:[\]]+:\d+$/.test(entry) ? entry : undefined }));
  return (origin, ownHost) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) and anything unparsable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (exactOrigins.has(url.origin.toLowerCase())) return true;
    // Same origin as the address the browser used (already vetted by the Host allowlist). The scheme is not compared:
    // behind a TLS-terminating proxy the engine itself sees http.
    if (ownHost && url.host.toLowerCase() === ownHost.toLowerCase()) return true;
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    return hostEntries.some((entry) => (entry.withPort ? entry.withPort === url.host : entry.name === hostname));
  };
}

export function registerRejectCrossSite(app: FastifyInstance, options: CrossSiteOptions): void {
  const isAllowed = createOriginCheck(options);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!unsafeMethods.has(request.method)) return;
    const origin = requestOrigin(request);
    if (origin === undefined) return;
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && /^bearer\s/i.test(authorization)) return;
    if (isAllowed(origin, request.host)) return;
    await reply.code(403).send({
      detail: `Cross-site request refused: it came from ${origin}, which is not this engine's address. If the Command Center is served from there, add it to PUBLIC_URL, ALLOWED_HOSTS or CORS_ORIGINS.`,
    });
    return reply;
  });
}
