/**
 * The clients the engine benches share: a stream read straight from llm-sim, a stream through the engine's
 * `/agent/chat` (or a relay baseline serving the same frames), and a child process started and waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from '@skyflo/testkit/tools';
import { iterateSse } from '@skyflo/engine/testing';

/** The arrival time of each model token of one stream read straight from llm-sim (OpenAI-compatible SSE). */
export async function directStream(url: string): Promise<number[]> {
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim-model', stream: true, messages: [{ role: 'user', content: 'bench' }] }),
  });
  const arrivals: number[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    const text = decoder.decode(chunk, { stream: true });
    const deltas = text.split('\n').filter((line) => line.startsWith('data:') && line.includes('"content":"')).length;
    for (let index = 0; index < deltas; index += 1) arrivals.push(now);
  }
  return arrivals;
}

export interface StreamResult {
  /** when the request was sent (performance.now()) */
  sentAt: number;
  arrivals: number[];
  /** the last token frame's tokens_generated: the model's token count (frames can carry several tokens under load) */
  generated?: number;
  ok: boolean;
  /** why the stream did not complete (HTTP status and body, connection error, final status), for the failure message */
  problem?: string;
}

/**
 * One stream through the engine (`/agent/chat`, as the user whose session token is `token`) or a relay baseline (same
 * frames; `token` undefined); `short` asks llm-sim for 2 tokens.
 */
export async function engineStream(url: string, token: string | undefined, options: { path?: string; short?: boolean } = {}): Promise<StreamResult> {
  // A stream that cannot even connect (listen backlog full, connect timeout) counts as not complete.
  const sentAt = performance.now();
  const response = await fetch(`${url}${options.path ?? '/agent/chat'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ messages: [{ role: 'user', content: options.short ? 'bench short' : 'bench' }] }),
  }).catch((error: unknown) => error as Error);
  const arrivals: number[] = [];
  let ok = false;
  if (response instanceof Error) return { sentAt, arrivals, ok, problem: `could not connect: ${response.message}` };
  if (!response.ok) return { sentAt, arrivals, ok, problem: `HTTP ${response.status} ${(await response.text()).slice(0, 200)}` };
  let finalStatus = 'no completed frame';
  let generated: number | undefined;
  try {
    for await (const frame of iterateSse(response)) {
      if (frame.event === 'token') {
        // a frame can carry several model tokens (the answer stream holds text back for redaction): each of them
        // arrived with it, as directStream counts several deltas in one chunk
        const now = performance.now();
        generated = Number(frame.data['tokens_generated']) || arrivals.length + 1;
        while (arrivals.length < generated) arrivals.push(now);
      }
      if (frame.event === 'completed') {
        finalStatus = `completed with status ${String(frame.data['status'])}`;
        ok = frame.data['status'] === 'completed';
      }
    }
  } catch (error) {
    return { sentAt, arrivals, ok: false, problem: `the connection broke mid-stream: ${(error as Error).message}` };
  }
  return ok ? { sentAt, arrivals, generated, ok } : { sentAt, arrivals, generated, ok, problem: finalStatus };
}

export /** Runs `command`, resolving with the first stdout line `match` accepts; the rest of its lines go to `onLine`. */
function spawnAndWait<T>(argv: string[], match: (line: string) => T | undefined, onLine: (line: string) => void = () => {}): Promise<{ child: ChildProcess; value: T }> {
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'], cwd: repoRoot });
  return new Promise((resolve, reject) => {
    let buffer = '';
    let found = false;
    child.once('exit', (code) => {
      if (!found) reject(new Error(`${argv.join(' ')} exited with ${code} before it was ready`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const value = found ? undefined : match(line);
        if (value === undefined) onLine(line);
        else {
          found = true;
          resolve({ child, value });
        }
      }
    });
  });
}
