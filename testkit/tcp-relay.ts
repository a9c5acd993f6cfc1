/**
 * A loopback TCP relay in front of a server whose open connections can all be cut at once: a network drop (a proxy's
 * idle cut, a phone changing networks) that neither end can tell from a real one. Used by the Command Center's and
 * the terminal client's re-attach tests.
 */
import net from 'node:net';

export interface TcpRelay {
  /** http://127.0.0.1:<port>, the relay's own address */
  url: string;
  /** destroys every open connection (both sides); new connections are relayed as before */
  dropAll(): void;
  close(): Promise<void>;
}

export function startTcpRelay(target: URL): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        dropAll: () => sockets.forEach((socket) => socket.destroy()),
        close: () =>
          new Promise<void>((done) => {
            sockets.forEach((socket) => socket.destroy());
            server.close(() => done());
          }),
      }),
    ),
  );
}
