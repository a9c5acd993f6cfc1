/**
 * Team administration (spec §1; admins only — the account service refuses everyone else with 403):
 *   GET    /team/members[?include_removed=true]  → Member[]
 *   POST   /team/members {email, role, password, name?} → 201 Member (created) | 200 Member (a removed member reactivated)
 *   PATCH  /team/members/:id {role}               → Member
 *   DELETE /team/members/:id                      → 204 (soft delete; their sessions end at once)
 * Roles are admin, approver and member; Skyflo's UI sends "Admin"/"Member", which are accepted too.
 */
import { addMemberRequestSchema, updateMemberRequestSchema, type Member } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AccountError } from '../../../app/accounts/account-error.ts';
import type { AccountService } from '../../../app/accounts/account-service.ts';
import type { User } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface TeamRouteDeps {
  accounts: AccountService;
}

export function toMember(user: User): Member {
  return { id: user.id, email: user.email, name: user.fullName, role: user.role, status: user.isActive ? 'active' : 'inactive', created_at: user.createdAt.toISOString(), ...(user.scope ? { scope: user.scope } : {}) };
}

const idParamsSchema = z.object({ id: z.uuid('id must be a member id (UUID) from GET /team/members') });
const listQuerySchema = z.object({ include_removed: z.enum(['true', 'false'], { error: 'include_removed must be true or false' }).optional() });

export const teamRoutes: FastifyPluginAsync<TeamRouteDeps> = async (app, { accounts }) => {
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof AccountError ? new HttpError(error.statusCode, error.message, error.code) : error;
    }
  };

  app.get('/team/members', async (request) => {
    const query = parseInput(listQuerySchema, request.query, 'query');
    const users = await run(() => accounts.listMembers({ actor: request.user, includeInactive: query.include_removed === 'true' }));
    return users.map(toMember);
  });

  app.post('/team/members', async (request, reply) => {
    const input = parseInput(addMemberRequestSchema, request.body);
    const { user, reactivated } = await run(() =>
      accounts.addMember({ actor: request.user, email: input.email, password: input.password, role: input.role, ...(input.name !== undefined ? { fullName: input.name } : {}), ip: request.ip }),
    );
    return reply.code(reactivated ? 200 : 201).send(toMember(user));
  });

  app.patch('/team/members/:id', async (request) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const input = parseInput(updateMemberRequestSchema, request.body);
    return toMember(await run(() => accounts.changeRole({ actor: request.user, userId: id, role: input.role, ip: request.ip })));
  });

  app.delete('/team/members/:id', async (request, reply) => {
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    await run(() => accounts.removeMember({ actor: request.user, userId: id, ip: request.ip }));
    return reply.code(204).send();
  });
};
