/**
 * The API docs page (@fastify/swagger-ui under /api/docs), built on its first request. Why: the plugin brings
 * @fastify/static, glob, an external yaml and their dependencies, ~100 CommonJS files loaded at every start, for a
 * page few people open. Two routes stand in for the plugin's and forward to an instance holding only the plugin
 * (http/plugins/lazy-inner-app.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { createLazyInnerApp } from '../plugins/lazy-inner-app.ts';

export interface LazyDocsUiOptions {
  /** where the page is served, e.g. /api/docs */
  routePrefix: string;
  uiConfig: Record<string, unknown>;
}

/**
 * The engine's @fastify/swagger as a plugin of the docs instance: @fastify/swagger-ui asks for it by name and calls
 * `swagger()` for the document, which stays the engine's (one document, built from the engine's routes).
 */
function delegatedSwagger(app: FastifyInstance) {
  const plugin = async (instance: FastifyInstance) => {
    instance.decorate('swagger', ((options?: { yaml?: boolean }) => app.swagger(options as { yaml: true })) as FastifyInstance['swagger']);
  };
  // What fastify-plugin sets: the decorator is visible to sibling plugins, and the name satisfies their dependencies.
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('plugin-meta')]: { name: '@fastify/swagger', fastify: '5.x' } });
}

export function registerLazyDocsUi(app: FastifyInstance, options: LazyDocsUiOptions): void {
  const docs = createLazyInnerApp(async () => {
    const { default: fastifySwaggerUi } = await import('@fastify/swagger-ui');
    const instance = Fastify({ logger: false });
    await instance.register(delegatedSwagger(app));
    await instance.register(fastifySwaggerUi, { routePrefix: options.routePrefix, uiConfig: options.uiConfig });
    return instance;
  });
  const answer = async (request: Parameters<typeof docs.forward>[0], reply: Parameters<typeof docs.forward>[1]) => {
    await docs.forward(request, reply);
    return reply;
  };
  app.get(options.routePrefix, answer);
  app.get(`${options.routePrefix}/*`, answer);
  app.addHook('onClose', () => docs.close());
}
