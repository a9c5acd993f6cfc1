import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfinedFileError, openConfinedFolder, type ConfinedFolder } from '@skyflo/connectors/confined-folder';
import { createLazyInnerApp } from './lazy-inner-app.ts';

/** Where `npm run build:ui` (packages/ui) puts the bundle. */
export const defaultUiDistDir = fileURLToPath(new URL('../../../../ui/dist', import.meta.url));

const apiHelpPage = `Skyflo engine is running.

The HTTP API is at /api/v1 (try GET /api/v1/health).
The Command Center web UI is not built in this checkout; when packages/ui/dist exists, it is served here.
Build it with \`npm run build:ui\` (\`npm start\` does this when it is missing), or use the API (see docs/api.md).
`;

/** Paths a health probe is commonly pointed at (not /livez and /readyz, the engine's own routes). */
const probeLikePath = /^\/(healthz?|health-?check|livez?|liveness|readyz?|readiness|status|ping)\/?$/i;

/** Vite names bundle files by content hash: they never change, so browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed files: it must be revalidated on every load, or a deploy is not seen. */
const REVALIDATE = 'no-cache';
/** How often a request may look again for a UI that was not built yet (a stat per request would be wasteful). */
const MISSING_UI_RECHECK_MS = 1000;

export interface StaticUiOptions {
  /** the clock the re-check interval is measured on; tests pass their own */
  now?: () => number;
}

/**
 * Tells whether the UI is built, looking again at most once per interval while it is not: `npm run build:ui` run
 * after the engine started is served without a restart. Once found, it is not looked for again.
 */
function createBuiltCheck(root: string, now: () => number): () => boolean {
  let built = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return () => {
    if (built) return true;
    if (now() - checkedAt < MISSING_UI_RECHECK_MS) return false;
    checkedAt = now();
    built = existsSync(path.join(root, 'index.html'));
    return built;
  };
}

/** The largest file of the bundle that is served (Vite's chunks are far smaller). */
const maxUiFileBytes = 50 * 1024 * 1024;

/**
 * The file under `root` a URL path names, or undefined when it is not a plain file there (then the SPA answers).
 * Why confined (issue 74): these files are served to anyone, signed in or not, so a link in the bundle folder to a
 * file outside it (or a FIFO) must never be sent; the pre-compressed copies @fastify/static may send instead are
 * held to the same rule.
 */
async function fileUnder(folder: ConfinedFolder, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const relative = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (!relative || relative.startsWith('..') || relative.includes('\0')) return undefined;
  const usable = async (candidate: string, missingIsFine: boolean) =>
    folder.resolveFile(candidate).then(
      () => true,
      (error: unknown) => missingIsFine && error instanceof ConfinedFileError && error.reason === 'missing',
    );
  if (!(await usable(relative, false))) return undefined;
  const compressedCopiesUsable = await Promise.all(['.br', '.gz'].map((suffix) => usable(`${relative}${suffix}`, true)));
  return compressedCopiesUsable.every(Boolean) ? relative : undefined;
}

/**
 * The files, sent by @fastify/static (pre-compressed .br/.gz beside each asset, ETag, ranges, 304s) from an instance
 * of its own built on the first file request: the plugin and its dependencies (glob, send, mime...) are ~50 ms of
 * module loading that a start does not wait for (lazy-inner-app.ts). Its one route sends the file its path names;
 * the engine's route below has already decided that it is a plain file under the root.
 */
function createFileSender(root: string) {
  return createLazyInnerApp(async () => {
    const { default: fastifyStatic } = await import('@fastify/static');
    const files = Fastify({ logger: false });
    await files.register(fastifyStatic, {
      root,
      serve: false,
      index: false,
      cacheControl: false,
      preCompressed: true,
      suppressWarning: true,
      setHeaders: (response, filePath) => {
        const relative = path.relative(root, filePath).split(path.sep).join('/');
        response.header('cache-control', relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
      },
    });
    files.get('/*', async (request, reply) => reply.sendFile((request.params as { '*': string })['*']));
    return files;
  });
}

/** The inner URL of a file under the root: each segment encoded, so the file name is read back as it is. */
const fileUrl = (relative: string) => `/${relative.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Serves the built UI as a single-page app: files as they are (hashed assets cached for good, index.html
 * revalidated), and index.html for any other GET outside /api, so a reload of /chat/<id> works. Until the UI is
 * built, `/` explains that the API is up and how to get the UI; a build made while the engine runs is picked up.
 */
export async function registerStaticUi(app: FastifyInstance, uiDistDir: string | undefined, options: StaticUiOptions = {}): Promise<void> {
  const root = uiDistDir ?? defaultUiDistDir;
  const isBuilt = createBuiltCheck(root, options.now ?? Date.now);
  const files = createFileSender(root);
  const folder = openConfinedFolder(root, { maxFileBytes: maxUiFileBytes, label: 'the Command Center bundle' });
  app.addHook('onClose', () => files.close());
  const notFound = (method: string, pathname: string) => ({ detail: `Route ${method} ${pathname} not found` });
  // A file gone between the check below and the send answers as any missing path does.
  const send = async (request: Parameters<typeof files.forward>[0], reply: Parameters<typeof files.forward>[1], pathname: string, file: string) => {
    const status = await files.forward(request, reply, { url: fileUrl(file), unless: (code) => code === 404 });
    return status === 404 ? reply.code(404).send(notFound(request.method, pathname)) : reply;
  };

  // /api stays JSON 404s (a typo in an API path must not answer 200 with HTML), and a missing /assets file is a 404
  // too (an old index.html asking for a file a deploy removed should fail loudly).
  app.get('/*', { config: { public: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0]!;
    if (pathname === '/api' || pathname.startsWith('/api/')) return reply.code(404).send(notFound(request.method, pathname));
    // A probe pointed at a health-like path must fail, not read the Command Center's page as a 200 (issue 75).
    if (probeLikePath.test(pathname)) return reply.code(404).send({ detail: `Route ${request.method} ${pathname} not found: the engine's probes are GET /livez (liveness) and GET /readyz (readiness, 503 while degraded); GET /api/v1/health has the details` });
    if (!isBuilt()) {
      if (pathname === '/') return reply.type('text/plain; charset=utf-8').send(apiHelpPage);
      // a browser at a page of the UI (a bookmark, /login): still nothing there, but why and what to do, not bare JSON
      if (!pathname.startsWith('/assets/') && (request.headers.accept ?? '').includes('text/html')) return reply.code(404).type('text/plain; charset=utf-8').send(apiHelpPage);
      return reply.code(404).send(notFound(request.method, pathname));
    }
    const file = pathname === '/' ? undefined : await fileUnder(folder, pathname);
    if (file) return send(request, reply, pathname, file);
    if (pathname.startsWith('/assets/')) return reply.code(404).send(notFound(request.method, pathname));
    if (!(await fileUnder(folder, '/index.html'))) return reply.code(404).send(notFound(request.method, pathname));
    return send(request, reply.header('cache-control', REVALIDATE).type('text/html; charset=utf-8'), pathname, 'index.html');
  });
}
