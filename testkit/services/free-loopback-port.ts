import { createServer } from 'node:net';

/**
 * A port nothing listens on right now, for servers that must be told their port (postgres, redis-server) and keep it
 * across a restart. Another process could take it before the server binds; the server then fails to start, loudly.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
