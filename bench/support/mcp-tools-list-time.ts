/**
 * Cold start of `skyflo mcp --stdio` as an MCP client sees it: spawn, initialize, tools/list. Shared by the cold-start
 * and release benches so both time exactly the same exchange.
 */
import { spawn } from 'node:child_process';

/** ms from spawning `node <command…> mcp --stdio <extra…>` to the tools/list answer. */
export async function timeMcpToolsList(command: string[], env: NodeJS.ProcessEnv, extra: string[] = []): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [...command, 'mcp', '--stdio', ...extra], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const send = (message: object) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  const answered = new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.once('exit', () => reject(new Error('skyflo mcp exited before answering')));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (message.id === 1) {
          send({ jsonrpc: '2.0', method: 'notifications/initialized' });
          send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        } else if (message.id === 2) {
          if (!(message.result?.tools?.length > 0)) reject(new Error('tools/list returned no tools'));
          resolve(performance.now() - started);
        }
      }
    });
  });
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  try {
    return await answered;
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
}

/** The baseline both benches divide by: ms to spawn `node -e 0` and see it exit. */
export async function timeNodeStart(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return performance.now() - started;
}
