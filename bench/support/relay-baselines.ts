/**
 * The two floors the engine's CPU per stream is compared against (issue 38), served from the engine's own process so
 * one CPU counter covers all three: a raw `node:http` relay of the model stream (parse each SSE line of llm-sim's
 * answer, write one `token` frame per content delta) and a relay through the AI SDK's `streamText` with the same
 * provider the engine uses (no engine: no run, no storage, no graph). Both answer a POST of `{ messages }` with the
 * frames the engine's SSE sends (`token` per token, then `completed` with a status), so one client reads all three.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamText, type LanguageModel, type ModelMessage } from 'ai';

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

function listen(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(frame('completed', { status: `relay error: ${(error as Error).message}` }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** node:http in, node:http out: the least any relay of this model stream can cost. */
export function startRawRelay(simUrl: string) {
  const target = new URL(`${simUrl}/chat/completions`);
  return listen(async (req, res) => {
    const { messages } = JSON.parse(await readBody(req)) as { messages: unknown };
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = request(target, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
      out.on('error', reject);
      out.end(JSON.stringify({ model: 'sim-model', stream: true, messages }));
    });
    res.writeHead(200, sseHeaders);
    let buffer = '';
    let count = 0;
    for await (const chunk of upstream) {
      buffer += String(chunk);
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:') || line.includes('[DONE]')) continue;
        const text = (JSON.parse(line.slice(5)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
        if (text) res.write(frame('token', { text, tokens_generated: (count += 1) }));
      }
    }
    res.end(frame('completed', { status: 'completed' }));
  });
}

/** The AI SDK's streamText on the engine's provider, relayed as SSE: what the SDK costs without the engine. */
export function startStreamTextRelay(model: LanguageModel) {
  return listen(async (req, res) => {
    const { messages } = JSON.parse(await readBody(req)) as { messages: ModelMessage[] };
    const result = streamText({ model, messages });
    res.writeHead(200, sseHeaders);
    let count = 0;
    let status = 'completed';
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') res.write(frame('token', { text: part.text, tokens_generated: (count += 1) }));
      if (part.type === 'error') status = `error: ${String(part.error)}`;
    }
    res.end(frame('completed', { status }));
  });
}
