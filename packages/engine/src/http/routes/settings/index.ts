/**
 * Runtime model settings (admin changes; everyone signed in may read whether a model is configured, so the UI can
 * tell a member "an admin must configure a model"):
 *   GET  /settings/llm                → LlmSettings (the key only as set/not set, its last 4 characters for admins)
 *   PUT  /settings/llm                → LlmSettings (admin; applies to the next model call unless LLM_MODEL is set)
 *   POST /settings/llm/test           → { ok, latency_ms, reply | error } (admin; the stored settings or a candidate)
 *   GET  /settings/llm/providers      → the providers and what each needs
 *   GET  /settings/llm/ollama-models  → models of a local Ollama (admin; ?base_url=)
 */
import { testLlmSettingsRequestSchema, updateLlmSettingsRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { LlmSettingsError, type LlmSettingsService } from '../../../app/llm-settings/llm-settings-service.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface SettingsRouteDeps {
  llmSettings: LlmSettingsService;
}

const ollamaQuerySchema = z.object({ base_url: z.url({ error: 'base_url must be a URL such as http://127.0.0.1:11434' }).optional() });

export const settingsRoutes: FastifyPluginAsync<SettingsRouteDeps> = async (app, { llmSettings }) => {
  const run = async <T>(work: () => Promise<T> | T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof LlmSettingsError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  };

  app.get('/settings/llm', async (request) => llmSettings.get(request.user));
  app.put('/settings/llm', async (request) => {
    const input = parseInput(updateLlmSettingsRequestSchema, request.body);
    return run(() => llmSettings.put(request.user, input, request.ip));
  });
  app.post('/settings/llm/test', async (request) => {
    const candidate = parseInput(testLlmSettingsRequestSchema, request.body ?? {});
    return run(() => llmSettings.test(request.user, candidate));
  });
  app.get('/settings/llm/providers', async () => llmSettings.providers());
  app.get('/settings/llm/ollama-models', async (request) => {
    const query = parseInput(ollamaQuerySchema, request.query, 'query');
    return run(() => llmSettings.ollamaModels(request.user, query.base_url));
  });
};
