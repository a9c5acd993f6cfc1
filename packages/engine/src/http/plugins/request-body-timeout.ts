/**
 * A request body must arrive within a time limit: a client that sends headers and then stalls or trickles its body
 * gets 408 and its connection closed, instead of holding it (and the handler waiting on it) forever. Node's own
 * `requestTimeout` did not fire under Fastify on this engine's Node (checked with a stalled body), and it would
 * also count the time of long SSE answers' requests; this clock runs only until the body has arrived.
 */
import type { FastifyInstance } from 'fastify';

export function registerRequestBodyTimeout(app: FastifyInstance, options: { timeoutMs: number }): void {
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
    if (!hasBody || raw.complete) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      if (raw.complete || reply.sent || reply.raw.headersSent) return;
      request.log.warn({ timeoutMs: options.timeoutMs }, 'request body not received in time');
      reply.raw.once('finish', () => raw.destroy());
      void reply
        .code(408)
        .header('connection', 'close')
        .send({ detail: `The request body did not arrive within ${options.timeoutMs / 1000} s; send the whole body at once (REQUEST_BODY_TIMEOUT_MS).` });
    }, options.timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    raw.once('end', clear);
    raw.once('close', clear);
    done();
  });
}
