/**
 * A loopback HTTP server that answers with a flood: a body of hundreds of megabytes, written chunk by chunk as the
 * reader takes it (backpressure honoured, nothing held in memory). It records how much it sent and whether the reader
 * hung up before the end, so a test can show that a capped reader stopped early (issue 74: a 300 MB Prometheus answer
 * took the engine from 542 to 1,370 MB). Other requests get the ordinary answer `handle` returns.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FloodRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FloodAnswer =
  | { flood: { contentType: string; /** written before the filler, e.g. the start of a JSON document */ prefix?: string; /** default: chunked (no Content-Length) */ declareLength?: boolean } }
  | { status: number; headers?: Record<string, string>; body?: string };

export interface Flood {
  path: string;
  /** bytes written to the socket so far */
  sent: number;
  /** the reader hung up before the whole flood was sent */
  abandoned: boolean;
  /** the whole flood was sent */
  finished: boolean;
}

export interface FloodServer {
  url: string;
  floods: Flood[];
  close(): Promise<void>;
}

const chunk = Buffer.alloc(64 * 1024, 'x');

export async function startFloodServer(options: { totalBytes: number; handle: (request: FloodRequest) => FloodAnswer }): Promise<FloodServer> {
  const floods: Flood[] = [];
  const server: Server = createServer(async (request, response) => {
    const parts: Buffer[] = [];
    for await (const part of request) parts.push(part as Buffer);
    const answer = options.handle({ method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, body: Buffer.concat(parts).toString('utf8') });
    if (!('flood' in answer)) {
      response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
      return;
    }
    const flood: Flood = { path: request.url ?? '/', sent: 0, abandoned: false, finished: false };
    floods.push(flood);
    response.writeHead(200, { 'content-type': answer.flood.contentType, ...(answer.flood.declareLength ? { 'content-length': String(options.totalBytes) } : {}) });
    response.on('close', () => {
      if (!flood.finished) flood.abandoned = true;
    });
    const prefix = Buffer.from(answer.flood.prefix ?? '');
    response.write(prefix);
    flood.sent += prefix.length;
    while (flood.sent < options.totalBytes && !flood.abandoned) {
      const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - flood.sent));
      const more = response.write(piece);
      flood.sent += piece.length;
      if (!more) {
        await new Promise<void>((resolve) => {
          const resume = () => {
            response.off('drain', resume);
            response.off('close', resume);
            resolve();
          };
          response.on('drain', resume);
          response.on('close', resume);
        });
      }
    }
    if (!flood.abandoned) {
      flood.finished = true;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    floods,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
