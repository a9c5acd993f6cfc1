/**
 * When the engine closes (SIGTERM, Ctrl-C, a rolling update), its HTTP server closes at once instead of waiting for
 * clients. Node's `server.close()` waits for every connection to end, and it ends only idle keep-alive ones itself:
 *  - a live event stream (a run's, or the notifications stream every Command Center tab holds) never ends on its own:
 *    `skyflo serve` never exited on SIGTERM while a tab was open. The routes mark them (endsWhenServerCloses) and
 *    they are ended here; the client reconnects, to this engine when it is back or to another replica.
 *  - a connection that has not sent a request yet (a browser's preconnect) counts as waiting for its headers, and the
 *    close also stops the checks that would time it out: it was waited for until its client dropped it (44–68 s in
 *    e2e/ui/command-center.test.ts; forever for one that keeps it). It is ended here.
 * Other requests in flight still finish, and their connections end with them (not after the 72 s keep-alive); a
 * connection opened once closing has begun is ended as it arrives. test/startup/cli-serve.test.ts covers both.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Responses that stream until the client leaves; a marker on the response itself, whichever server it belongs to. */
const liveStreams = new WeakSet<ServerResponse>();

/** Marks `response` as a live stream the server ends when it closes (the client is expected to reconnect). */
export function endsWhenServerCloses(response: ServerResponse): void {
  liveStreams.add(response);
}

export function registerClosePromptly(app: FastifyInstance): void {
  const open = new Set<Socket>();
  /** requests in flight per connection (more than one only when a client pipelines) */
  const inFlight = new Map<Socket, number>();
  const responses = new Set<ServerResponse>();
  let closing = false;

  app.server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      inFlight.delete(socket);
    });
  });
  app.server.on('request', (request: { socket: Socket }, response: ServerResponse) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    responses.add(response);
    response.once('close', () => {
      responses.delete(response);
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left);
      else inFlight.delete(socket);
      // A connection whose last request ended after closing began has nothing more to wait for (else it would stay
      // for the keep-alive timeout); ended once what was written has left.
      if (closing && left <= 0) socket.destroySoon();
    });
  });
  app.addHook('preClose', (done) => {
    closing = true;
    for (const response of responses) if (liveStreams.has(response) && !response.writableEnded) response.end();
    for (const socket of open) if (!inFlight.has(socket)) socket.destroy();
    done();
  });
}
