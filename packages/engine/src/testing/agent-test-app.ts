/**
 * A Fastify app with only the agent routes, for tests and benchmarks: the platform's auth hook is replaced by
 * a header (`x-test-user: <id>[:admin]`), so the agent can be tested before and apart from accounts.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { agentRoutes, type AgentRouteDeps } from '../http/routes/agent/index.ts';
import type { DeferredAgentService } from '../startup/deferred-agent-service.ts';
import type { AuthenticatedUser } from '../ports/index.ts';

export interface AgentTestApp {
  app: FastifyInstance;
  url: string;
  service: DeferredAgentService;
  close(): Promise<void>;
}

export async function startAgentTestApp(deps: Omit<AgentRouteDeps, 'onService'>): Promise<AgentTestApp> {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-test-user'];
    if (typeof header === 'string' && header) {
      const [id, role] = header.split(':');
      (request as typeof request & { user?: AuthenticatedUser }).user = { id: id!, email: `${id}@example.test`, role: role === 'admin' || role === 'approver' ? role : 'member' };
    }
  });
  let service!: DeferredAgentService;
  await app.register(agentRoutes, { ...deps, onService: (created) => (service = created), prefix: '/api/v1' });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    url: `${address}/api/v1`,
    service,
    async close() {
      await service.close();
      await app.close();
    },
  };
}
