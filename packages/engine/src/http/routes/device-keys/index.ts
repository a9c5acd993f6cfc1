/**
 * Device keys (issue 35 item 4), the caller's own:
 *   POST   /auth/device-keys {name, public_key}     → 201 DeviceKey (pending, with confirm_url)   (`skyflo chat`)
 *   GET    /auth/device-keys                        → {data: DeviceKey[]}
 *   GET    /auth/device-keys/:id                    → DeviceKey (the CLI polls it until active)
 *   POST   /auth/device-keys/:id/confirm-options    → {options, key}: passkey options over the key (a session only)
 *   POST   /auth/device-keys/:id/confirm {assertion} → DeviceKey (active; audited, announced to the other admins)
 *   DELETE /auth/device-keys/:id                    → 204 (audited)
 * Refusals answer {detail, code}.
 */
import { confirmDeviceKeyRequestSchema, registerDeviceKeyRequestSchema } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { DeviceKeyService } from '../../../domain/passkeys/device-keys.ts';
import { PasskeyError } from '../../../domain/passkeys/passkey-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface DeviceKeyRouteDeps {
  deviceKeys: DeviceKeyService;
}

const idParamsSchema = z.object({ id: z.uuid('id must be a device key id (UUID)') });

const refused = (reply: FastifyReply, error: unknown) => {
  if (error instanceof PasskeyError) return reply.code(error.statusCode).send({ detail: error.message, code: error.code });
  throw error;
};

export const deviceKeyRoutes: FastifyPluginAsync<DeviceKeyRouteDeps> = async (app, { deviceKeys }) => {
  app.post('/auth/device-keys', async (request, reply) => {
    const input = parseInput(registerDeviceKeyRequestSchema, request.body);
    try {
      return reply.code(201).send(await deviceKeys.register(request.user, input));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.get('/auth/device-keys', async (request) => ({ data: await deviceKeys.list(request.user) }));

  app.get('/auth/device-keys/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      return reply.header('cache-control', 'no-store').send(await deviceKeys.get(request.user, id));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post('/auth/device-keys/:id/confirm-options', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      return reply.header('cache-control', 'no-store').send(await deviceKeys.confirmOptions(request.user, request.apiToken !== undefined, id));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post('/auth/device-keys/:id/confirm', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(confirmDeviceKeyRequestSchema, request.body);
    try {
      return reply.send(await deviceKeys.confirm(request.user, request.apiToken !== undefined, id, input, request.ip));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.delete('/auth/device-keys/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    try {
      await deviceKeys.remove(request.user, id, request.ip);
      return reply.code(204).send();
    } catch (error) {
      return refused(reply, error);
    }
  });
};
