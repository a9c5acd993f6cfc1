import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` of packages/ui puts the bundle. */
export const defaultUiDistDir = fileURLToPath(new URL('../../../../ui/dist', import.meta.url));

const apiHelpPage = `Skyflo engine is running.

The HTTP API is at /api/v1 (try GET /api/v1/health).
The Command Center web UI is not built in this checkout; when packages/ui/dist exists, it is served here.
Until then, use the API (see "Use the API" in the README).
`;

/**
 * Serves the built UI when it exists (with index.html as the fallback for client-side routes);
 * otherwise `/` explains that the API is up and how to get the UI.
 */
export async function registerStaticUi(app: FastifyInstance, uiDistDir: string | undefined): Promise<boolean> {
  const root = uiDistDir ?? defaultUiDistDir;
  if (!existsSync(root) || !existsSync(`${root}/index.html`)) {
    app.get('/', { config: { public: true } }, async (_request, reply) => reply.type('text/plain; charset=utf-8').send(apiHelpPage));
    return false;
  }
  await app.register(fastifyStatic, { root, wildcard: false, index: 'index.html' });
  return true;
}
