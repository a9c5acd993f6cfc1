/**
 * A Fastify app with only the agent routes, for tests and benchmarks: the platform's auth hook is replaced by
 * a header (`x-test-user: <id>[:admin]`), so the agent can be tested before and apart from accounts. It builds the
 * agent service the way the composition root does (deferred), with throwaway keys where the engine has real ones.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AgentServiceDeps } from '../app/agent/create-agent-service.ts';
import { createToolCallInspector } from '../domain/tool-calls/core/tool-call-inspector.ts';
import { createSecretBox } from '../platform/crypto/secret-box.ts';
import { agentRoutes } from '../http/routes/agent/index.ts';
import { deferAgentService, type DeferredAgentService } from '../modules/startup/deferred-agent-service.ts';
import type { AuthenticatedUser } from '../platform/ports/index.ts';

export interface AgentTestApp {
  app: FastifyInstance;
  url: string;
  service: DeferredAgentService;
  close(): Promise<void>;
}

/** The agent service's dependencies; the sealing key and inspector default to per-process ones. */
export type AgentTestAppDeps = Omit<AgentServiceDeps, 'secretBox' | 'inspector'> & Partial<Pick<AgentServiceDeps, 'secretBox' | 'inspector'>>;

export async function startAgentTestApp(deps: AgentTestAppDeps): Promise<AgentTestApp> {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-test-user'];
    if (typeof header === 'string' && header) {
      const [id, role] = header.split(':');
      (request as typeof request & { user?: AuthenticatedUser }).user = { id: id!, email: `${id}@example.test`, role: role === 'admin' || role === 'approver' ? role : 'member' };
    }
  });
  const service = deferAgentService({
    ...deps,
    secretBox: deps.secretBox ?? createSecretBox(randomBytes(32)),
    inspector: deps.inspector ?? createToolCallInspector(),
    logger: deps.logger ?? app.log,
  });
  await app.register(agentRoutes, { service, bus: deps.bus, tools: deps.tools, runs: deps.storage.runs, config: deps.config, prefix: '/api/v1' });
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
