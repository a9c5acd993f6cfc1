/**
 * A small Fastify instance built on the first request that needs it, answering requests the engine's app forwards
 * to it. Why: a plugin such as @fastify/static or @fastify/swagger-ui loads dozens of CommonJS modules when it is
 * registered, and Fastify takes no plugins once it listens; holding them in an instance of their own keeps them out
 * of the engine's start (bench/release-start.ts). Requests still pass through the engine's app, so its hooks (host
 * allowlist, security headers, logging, metrics) apply as to any other route. The answer is streamed, not buffered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Headers of the inner answer that describe its own connection, not the one the engine answers on. */
const connectionHeaders = new Set(['connection', 'date', 'keep-alive', 'transfer-encoding']);

export interface LazyInnerApp {
  /**
   * Answers `request` with the inner instance's answer to the same request (or to `url`); returns the inner status,
   * having sent nothing when `unless` says so for it (the caller then answers).
   */
  forward(request: FastifyRequest, reply: FastifyReply, options?: { url?: string; unless?: (statusCode: number) => boolean }): Promise<number>;
  close(): Promise<void>;
}

export function createLazyInnerApp(build: () => Promise<FastifyInstance>): LazyInnerApp {
  let instance: Promise<FastifyInstance> | undefined;
  let closed = false;
  // A failed build is not remembered: the next request tries again.
  const inner = () =>
    (instance ??= build().then(
      async (built) => {
        await built.ready();
        return built;
      },
    ).catch((error: unknown) => {
      instance = undefined;
      throw error;
    }));
  return {
    async forward(request, reply, options = {}) {
      if (closed) throw new Error('the server is closing');
      const response = await (await inner()).inject({ method: request.method as 'GET', url: options.url ?? request.url, headers: request.headers, payloadAsStream: true });
      const body = response.stream();
      if (options.unless?.(response.statusCode)) {
        body.resume();
        return response.statusCode;
      }
      reply.code(response.statusCode);
      // content-length stays: the stream's length, and a HEAD answer's (which has no body to count).
      for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && !connectionHeaders.has(name)) reply.header(name, value);
      await reply.send(body);
      return response.statusCode;
    },
    async close() {
      closed = true;
      await (await instance?.catch(() => undefined))?.close();
    },
  };
}
