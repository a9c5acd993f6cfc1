/**
 * Embedded mode: the engine talks to the MCP server through the SDK's in-memory transport. Both halves of the linked
 * pair come from the client package: the SDK v2 bundles a private copy per package, and a pair must be one copy's.
 * The in-memory pair speaks the 2025-era protocol (initialize, one connection), which is all one process needs.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { sharedSchemaValidator } from './cached-schema-validator.ts';
import { createMcpServer, type CreateMcpServerOptions } from './create-mcp-server.ts';

export async function connectInProcess(options: CreateMcpServerOptions): Promise<{ client: Client; close(): Promise<void> }> {
  // In-process means the engine itself is the caller.
  const server = createMcpServer({ trustedCaller: true, ...options });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'skyflo-engine', version: '0.1.0' }, { jsonSchemaValidator: sharedSchemaValidator() });
  await client.connect(clientTransport);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
