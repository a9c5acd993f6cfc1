/**
 * Issue 20, item 5: the engine's error classes share one base (errors/skyflo-error.ts) with a stable code, and the
 * HTTP error handler answers by code/status rather than by class. Names, codes and messages are unchanged.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AccountError } from './app/accounts/account-error.ts';
import { AgentRequestError } from './platform/errors/agent-request-error.ts';
import { WindowError } from './app/analytics/analytics-window.ts';
import { BusPublishError } from './platform/ports/bus-publish-error.ts';
import { RedisConnectionError } from './adapters/bus/redis-connection-error.ts';
import { ConfigError } from './platform/config/index.ts';
import { SignedHeadError } from './platform/crypto/audit-signing-key.ts';
import { SecretBoxError } from './platform/crypto/secret-box.ts';
import { SkyfloError } from './platform/errors/skyflo-error.ts';
import { registerErrorHandler } from './http/plugins/error-handler.ts';
import { HttpError } from './http/plugins/http-error.ts';
import { IntegrationError } from './app/integrations/integration-service.ts';
import { LlmSettingsError } from './app/llm-settings/llm-settings-service.ts';
import { LlmCallError } from './app/model-calls/with-retries.ts';
import { ConversationIdTakenError } from './platform/ports/conversation-id-taken-error.ts';
import { DataDirLockedError } from './adapters/storage/pglite/pglite-lock.ts';
import { ServingRoleError } from './adapters/storage/postgres/postgres-roles.ts';

const sourceDir = import.meta.dirname;
const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });

describe('engine errors', () => {
  it('every error class in the engine extends SkyfloError (none extends Error directly)', () => {
    const direct = sourceFiles(sourceDir).filter((file) => /class \w+ extends Error\b/.test(readFileSync(file, 'utf8')));
    expect(direct.map((file) => path.relative(sourceDir, file))).toEqual(['platform/errors/skyflo-error.ts']);
  });

  it.each([
    [new AccountError('EMAIL_TAKEN', 'taken', 409), 'EMAIL_TAKEN', 409, 'AccountError'],
    [new AgentRequestError(429, 'TOO_MANY_RUNS', 'too many'), 'TOO_MANY_RUNS', 429, 'AgentRequestError'],
    [new WindowError('start_date', 'bad'), 'INVALID_WINDOW', 400, 'WindowError'],
    [new BusPublishError('down', false), 'EVENT_BUS_UNAVAILABLE', undefined, 'BusPublishError'],
    [new RedisConnectionError('down'), 'REDIS_UNAVAILABLE', undefined, 'RedisConnectionError'],
    [new ConfigError([{ variable: 'PORT', message: 'bad' }]), 'INVALID_CONFIG', undefined, 'ConfigError'],
    [new SignedHeadError('bad'), 'INVALID_SIGNED_HEAD', undefined, 'Error'],
    [new SecretBoxError('bad'), 'SEALED_VALUE_UNREADABLE', undefined, 'Error'],
    [new HttpError(404, 'gone', 'NOT_FOUND'), 'NOT_FOUND', 404, 'HttpError'],
    [new IntegrationError('NOT_FOUND', 'none', 404), 'NOT_FOUND', 404, 'Error'],
    [new LlmSettingsError('FORBIDDEN', 'admins only', 403), 'FORBIDDEN', 403, 'Error'],
    [new LlmCallError({ kind: 'fatal', message: 'bad key' }, 1, { cause: undefined }), 'LLM_CALL_FAILED', undefined, 'LlmCallError'],
    [new ConversationIdTakenError('c1'), 'CONVERSATION_ID_TAKEN', undefined, 'ConversationIdTakenError'],
    [new DataDirLockedError('/data', 42), 'DATA_DIR_LOCKED', undefined, 'DataDirLockedError'],
    [new ServingRoleError('too powerful'), 'SERVING_ROLE_TOO_POWERFUL', undefined, 'Error'],
  ] as const)('%s has its code, status and name', (error, code, statusCode, name) => {
    expect(error).toBeInstanceOf(SkyfloError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.statusCode).toBe(statusCode);
    expect(error.name).toBe(name);
  });

  it('the HTTP error handler answers an engine error by its status or code, and hides the rest', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandler(app, { bodyLimit: 1024 });
    app.get('/taken', async () => {
      throw new ConversationIdTakenError('c1');
    });
    app.get('/forbidden', async () => {
      throw new LlmSettingsError('FORBIDDEN', 'only an admin can change the model settings', 403);
    });
    app.get('/bus', async () => {
      throw new BusPublishError('redis is down: connection refused at 10.0.0.1', false);
    });
    app.get('/bug', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    });
    const taken = await app.inject({ url: '/taken' });
    expect([taken.statusCode, taken.json()]).toEqual([409, { detail: 'Conversation id c1 is already in use or belonged to a deleted conversation; omit conversation_id to get a new one.', category: 'user', retryable: false }]);
    const forbidden = await app.inject({ url: '/forbidden' });
    expect([forbidden.statusCode, forbidden.json()]).toEqual([403, { detail: 'only an admin can change the model settings', category: 'user', retryable: false }]);
    // issue 80 item 4: an outage is not a bug — the caller is told it may pass, without the address in the message
    const bus = await app.inject({ url: '/bus' });
    expect([bus.statusCode, bus.json()]).toEqual([500, { detail: 'A service the engine depends on failed; the details are in the engine log', category: 'operational', retryable: true }]);
    const bug = await app.inject({ url: '/bug' });
    expect([bug.statusCode, bug.json()]).toEqual([500, { detail: 'Internal server error; the details are in the engine log', category: 'unexpected', retryable: false }]);
    await app.close();
  });

  it('says who can act on each error and whether to retry it (issue 80 item 4)', () => {
    expect([new AccountError('EMAIL_TAKEN', 'taken', 409).category, new AccountError('EMAIL_TAKEN', 'taken', 409).retryable]).toEqual(['user', false]);
    expect([new BusPublishError('down', false).category, new BusPublishError('down', false).retryable]).toEqual(['operational', true]);
    expect([new RedisConnectionError('down').category, new RedisConnectionError('down').retryable]).toEqual(['operational', true]);
    expect([new ConfigError([{ variable: 'PORT', message: 'must be a number' }]).category, new ConfigError([{ variable: 'PORT', message: 'must be a number' }]).retryable]).toEqual(['operational', false]);
    expect([new DataDirLockedError('/data', 42).category, new DataDirLockedError('/data', 42).retryable]).toEqual(['operational', false]);
    const rateLimited = new LlmCallError({ kind: 'rate_limit', message: 'slow down', statusCode: 429 }, 3, { cause: undefined });
    const refusedKey = new LlmCallError({ kind: 'fatal', message: 'invalid api key', statusCode: 401 }, 1, { cause: undefined });
    expect([rateLimited.category, rateLimited.retryable, refusedKey.category, refusedKey.retryable]).toEqual(['operational', true, 'operational', false]);
    expect([new HttpError(429, 'too many', 'RATE_LIMITED').retryable, new HttpError(400, 'bad').retryable, new WindowError('since', 'bad window').category]).toEqual([true, false, 'user']);
  });
});
