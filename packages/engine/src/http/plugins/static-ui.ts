import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build:ui` (packages/ui) puts the bundle. */
export const defaultUiDistDir = fileURLToPath(new URL('../../../../ui/dist', import.meta.url));

const apiHelpPage = `Skyflo engine is running.

The HTTP API is at /api/v1 (try GET /api/v1/health).
The Command Center web UI is not built in this checkout; when packages/ui/dist exists, it is served here.
Build it with \`npm run build:ui\` (\`npm start\` does this when it is missing), or use the API (see "Use the API" in the README).
`;

/** Vite names bundle files by content hash: they never change, so browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed files: it must be revalidated on every load, or a deploy is not seen. */
const REVALIDATE = 'no-cache';

/**
 * Serves the built UI when it exists, as a single-page app: files as they are (hashed assets cached for good,
 * index.html revalidated), and index.html for any other GET outside /api, so a reload of /chat/<id> works.
 * Without a build, `/` explains that the API is up and how to get the UI.
 */
export async function registerStaticUi(app: FastifyInstance, uiDistDir: string | undefined): Promise<boolean> {
  const root = uiDistDir ?? defaultUiDistDir;
  if (!existsSync(root) || !existsSync(`${root}/index.html`)) {
    app.get('/', { config: { public: true } }, async (_request, reply) => reply.type('text/plain; charset=utf-8').send(apiHelpPage));
    return false;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    // '/' is answered by the SPA fallback below (with preCompressed, the plugin's own index route answers 404)
    index: false,
    cacheControl: false,
    // the UI build writes .br/.gz beside each asset (packages/ui/vite.config.ts)
    preCompressed: true,
    setHeaders: (response, filePath) => {
      const relative = path.relative(root, filePath).split(path.sep).join('/');
      response.header('cache-control', relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
    },
  });
  // The client-side routes. /api stays JSON 404s (a typo in an API path must not answer 200 with HTML), and a
  // missing /assets file is a 404 too (an old index.html asking for a file a deploy removed should fail loudly).
  app.get('/*', { config: { public: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0];
    if (pathname === '/api' || pathname.startsWith('/api/') || pathname.startsWith('/assets/')) {
      return reply.code(404).send({ detail: `Route ${request.method} ${pathname} not found` });
    }
    return reply.header('cache-control', REVALIDATE).type('text/html; charset=utf-8').sendFile('index.html');
  });
  return true;
}
