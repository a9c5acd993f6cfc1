/**
 * The HTTP side Slack's and Teams' simulators share: a JSON server on loopback whose handler reads the whole body,
 * and the replay of a click exactly as it was sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../shared/listen-on-loopback.ts';

/** what a click sent, so a test can send it again (a replay) */
export interface SentClick {
  body: string;
  headers: Record<string, string>;
}

export const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** `handle` answers with sendJson; what it throws is answered 500 with `failure(error)`. */
export async function startSimServer(options: { port?: number; host?: string }, handle: (request: IncomingMessage, response: ServerResponse, text: string) => Promise<unknown>, failure: (error: unknown) => unknown) {
  const server = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      await handle(request, response, Buffer.concat(chunks).toString('utf8'));
    })().catch((error: unknown) => sendJson(response, 500, failure(error)));
  });
  const listener = await listenOnLoopback(server, options);
  return { base: listener.origin, close: listener.close };
}

/** posts a click as it was sent, byte for byte */
export async function postClick(url: string, sent: SentClick): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method: 'POST', body: sent.body, headers: sent.headers });
  return { status: response.status, body: await response.text() };
}
