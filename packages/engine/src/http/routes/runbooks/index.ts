/**
 * Team runbooks (issue 36): everyone signed in reads them (the answer's "Runbook: <title>" links here); admins upload
 * and delete them. Files under RUNBOOKS_DIR are listed but read-only (changed where they live, e.g. the git repo).
 *   GET    /runbooks          → RunbookList
 *   GET    /runbooks/{name}   → RunbookDetail (redacted, as the model sees it); a `/` in the name is sent as %2F
 *   POST   /runbooks          → RunbookSummary, 201 (admin; replaces one of the same name)
 *   DELETE /runbooks/{name}   → 204 (admin; uploaded runbooks only)
 */
import { runbookNameSchema, uploadRunbookRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { RunbookError, type Runbooks } from '../../../app/runbooks/create-runbooks.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface RunbookRouteDeps {
  runbooks: Runbooks;
}

export const runbookRoutes: FastifyPluginAsync<RunbookRouteDeps> = async (app, { runbooks }) => {
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof RunbookError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  };
  const nameOf = (params: unknown) => parseInput(runbookNameSchema, (params as { name: string }).name, 'path');

  app.get('/runbooks', async () => ({ data: await runbooks.list(), directory_configured: runbooks.directoryConfigured }));
  app.get('/runbooks/:name', async (request) => {
    const name = nameOf(request.params);
    const found = await runbooks.get(name);
    if (!found) throw new HttpError(404, `No runbook named ${name}`, 'NOT_FOUND');
    return found;
  });
  app.post('/runbooks', async (request, reply) => {
    if (request.user.role !== 'admin') throw new HttpError(403, 'Only admins can upload runbooks', 'FORBIDDEN');
    const input = parseInput(uploadRunbookRequestSchema, request.body);
    const saved = await run(() => runbooks.upload(request.user, input, request.ip));
    return reply.code(201).send(saved);
  });
  app.delete('/runbooks/:name', async (request, reply) => {
    if (request.user.role !== 'admin') throw new HttpError(403, 'Only admins can delete runbooks', 'FORBIDDEN');
    await run(() => runbooks.remove(request.user, nameOf(request.params), request.ip));
    return reply.code(204).send();
  });
};
