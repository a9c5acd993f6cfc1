/**
 * The public address (public-url/public-url-service.ts):
 *   GET /settings/public-url → PublicUrlSettings (everyone signed in: the Integrations page shows the Slack Request URL)
 *   PUT /settings/public-url → PublicUrlSettings (admin; {url} replaces it, {url, from_browser: true} only fills it in)
 */
import { updatePublicUrlRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { PublicUrlError, type PublicUrlService } from '../../../app/public-url/public-url-service.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface PublicUrlRouteDeps {
  publicUrl: PublicUrlService;
}

export const publicUrlRoutes: FastifyPluginAsync<PublicUrlRouteDeps> = async (app, { publicUrl }) => {
  app.get('/settings/public-url', async () => publicUrl.get());
  app.put('/settings/public-url', async (request) => {
    const input = parseInput(updatePublicUrlRequestSchema, request.body);
    try {
      return await publicUrl.put(request.user, input, { ...(typeof request.headers.origin === 'string' ? { origin: request.headers.origin } : {}), ip: request.ip });
    } catch (error) {
      throw error instanceof PublicUrlError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  });
};
