/**
 * A connection whose module (and the MCP SDK client, stdio spawning, Streamable HTTP) loads on first use: the engine
 * imports this folder at start-up, and the agent's libraries must not load before it listens
 * (test/startup/lazy-agent-start.test.ts).
 */
import type { ExternalConnection, ExternalConnectionOptions } from './external-connection.ts';

export function deferredConnection(options: ExternalConnectionOptions): ExternalConnection {
  let made: ExternalConnection | undefined;
  let closed = false;
  const loading = import('./external-connection.ts').then(({ createExternalConnection }) => (made = createExternalConnection(options)));
  loading.catch(() => undefined);
  const get = () => (made ? Promise.resolve(made) : loading);
  return {
    listTools: async (listOptions) => (await get()).listTools(listOptions),
    callTool: async (input) => (await get()).callTool(input),
    state: () => made?.state() ?? { status: 'connecting' },
    async close() {
      if (closed) return;
      closed = true;
      await (await get().catch(() => undefined))?.close();
    },
  };
}
