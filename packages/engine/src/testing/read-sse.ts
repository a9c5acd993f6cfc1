/** Parses an SSE response body into frames, for tests and benchmarks. */
export interface SseFrame {
  id?: number;
  event: string;
  data: Record<string, unknown>;
  /** ms since the request was sent */
  at: number;
}

export async function* iterateSse(response: Response, startedAt = performance.now()): AsyncGenerator<SseFrame> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const frame: Partial<SseFrame> = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).trimStart();
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data = JSON.parse(value) as Record<string, unknown>;
        else if (field === 'id') frame.id = Number(value);
      }
      if (frame.event) yield { event: frame.event, data: frame.data ?? {}, id: frame.id, at: performance.now() - startedAt };
    }
  }
}

export async function readSse(response: Response): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for await (const frame of iterateSse(response)) frames.push(frame);
  return frames;
}
