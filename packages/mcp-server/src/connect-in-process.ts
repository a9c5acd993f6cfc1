/** Embedded mode: the engine talks to the MCP server through the SDK's in-memory transport. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer, type CreateMcpServerOptions } from './create-mcp-server.ts';

export async function connectInProcess(options: CreateMcpServerOptions): Promise<{ client: Client; close(): Promise<void> }> {
  // In-process means the engine itself is the caller.
  const server = createMcpServer({ trustedCaller: true, ...options });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'skyflo-engine', version: '0.1.0' });
  await client.connect(clientTransport);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
