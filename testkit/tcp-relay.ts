/**
 * A loopback TCP relay in front of a server whose open connections can all be cut at once: a network drop (a proxy's
 * idle cut, a phone changing networks) that neither end can tell from a real one. Used by the Command Center's and
 * the terminal client's re-attach tests.
 *
 * Its replies can also be held back (`holdReplies`): requests still reach the server, which acts on them, while its
 * answers wait in the relay until `releaseReplies` sends them on or `dropAll` cuts the connections. That is a request
 * whose answer is slow, or lost after the server applied it (issue 75: a change that ran whose answer never came).
 */
import net from 'node:net';

export interface TcpRelay {
  /** http://127.0.0.1:<port>, the relay's own address */
  url: string;
  /** destroys every open connection (both sides); new connections are relayed as before */
  dropAll(): void;
  /**
   * From now on, what the server sends back is kept in the relay (requests still go through): every reply, or only
   * those to requests whose request line (`PATCH /apis/... HTTP/1.1`) `requestLine` accepts.
   */
  holdReplies(requestLine?: (line: string) => boolean): void;
  /** sends on every reply held back, and relays replies at once again */
  releaseReplies(): void;
  close(): Promise<void>;
}

export function startTcpRelay(target: URL): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  let holding: ((line: string) => boolean) | undefined;
  /** per client connection, the request line of the request it sent last (HTTP/1.1: its replies come in order) */
  const lastRequestLine = new Map<net.Socket, string>();
  /** replies held back, per client connection, in the order they came */
  const held = new Map<net.Socket, Buffer[]>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => {
        sockets.delete(socket);
        held.delete(client);
        lastRequestLine.delete(client);
      });
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const line = /^([A-Z]+ \S+ HTTP\/1\.[01])\r\n/.exec(chunk.toString('latin1'))?.[1];
      if (line) lastRequestLine.set(client, line);
    });
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const holdThis = holding !== undefined && (held.has(client) || holding(lastRequestLine.get(client) ?? ''));
      if (!holdThis) return void client.write(chunk);
      const waiting = held.get(client) ?? [];
      waiting.push(chunk);
      held.set(client, waiting);
    });
    // the server closed its side: the client hears of it once the replies held before it have been sent
    upstream.on('end', () => (held.has(client) ? held.get(client)!.push(Buffer.alloc(0)) : client.end()));
  });
  const release = () => {
    holding = undefined;
    for (const [client, chunks] of held) {
      for (const chunk of chunks) {
        if (chunk.length === 0) client.end();
        else client.write(chunk);
      }
    }
    held.clear();
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        dropAll: () => {
          held.clear();
          sockets.forEach((socket) => socket.destroy());
        },
        holdReplies: (requestLine) => void (holding = requestLine ?? (() => true)),
        releaseReplies: release,
        close: () =>
          new Promise<void>((done) => {
            held.clear();
            sockets.forEach((socket) => socket.destroy());
            server.close(() => done());
          }),
      }),
    ),
  );
}
