/**
 * The fault suite's MCP server — the process that executes tool calls — as a `skyflo mcp` process of its own on a
 * fixed loopback port, so a fault can kill it (-9) mid-execution and start it again where the replicas look for it
 * (MCP_SERVER_URL does not change).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freeLoopbackPort, skyfloEntry } from '@skyflo/testkit/services';
import { repoRoot } from '@skyflo/testkit/tools';

export interface McpProcess {
  /** http://127.0.0.1:<port>/mcp */
  url: string;
  /** SIGKILL, resolved once it is gone */
  kill(): Promise<void>;
  /** starts it again on the same port */
  start(): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

export async function startMcpProcess(options: { kubeconfig: string; authToken: string; home: string }): Promise<McpProcess> {
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    output = '';
    const started = spawn(process.execPath, [skyfloEntry(), 'mcp', '--port', String(port), '--host', '127.0.0.1', '--kubeconfig', options.kubeconfig, '--auth-token', options.authToken], {
      // kubectl and helm from the repository's .tools (as the in-process server was given them)
      env: { PATH: `${path.join(repoRoot, '.tools', 'bin')}:${process.env.PATH ?? ''}`, HOME: options.home, KUBECACHEDIR: path.join(options.home, 'mcp-kube-cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      const look = (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening at http/.test(output)) resolve();
      };
      started.stdout!.on('data', look);
      started.stderr!.on('data', look);
      started.once('exit', (code, signal) => reject(new Error(`skyflo mcp exited (${code ?? signal}) before it listened:\n${output.slice(-3000)}`)));
    });
  };
  const kill = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const gone = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await gone;
  };
  await start();
  return { url: `http://127.0.0.1:${port}/mcp`, kill, start, output: () => output, close: kill };
}
