/**
 * The tool gateway against Skyflo's own MCP server, over Streamable HTTP (operator installs: MCP_SERVER_URL) and
 * in-process (skyflo serve), with test tools:
 *
 * - Abort listeners: every call used to leave one abort listener on two long-lived signals — the SDK transport's
 *   own (passed to every fetch; Node's fetch removes its listener only when the request is garbage collected) and
 *   the caller's (the run's signal; the SDK's request() never removes its listener). A long-running operator install
 *   piled them up until Node printed MaxListenersExceededWarning. Both now stay bounded, and both still abort.
 * - Progress: callTool asked the SDK to reset the timeout on progress but gave no progress handler, so no
 *   progressToken went out, the server reported nothing and a slow tool that was making progress timed out anyway.
 */
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectInProcess, createToolDeps, startMcpHttpServer, withTextOutput, type AnyToolDefinition, type McpHttpServer, type ToolDeps } from '@skyflo/mcp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { linkAbort } from '../../src/platform/abort/linked-abort.ts';
import { ToolCallNotRunError, type ToolGateway } from '../../src/platform/ports/tool-gateway.ts';

const authToken = 'engine-token-for-the-gateway-test';

/** `hang` calls wait here until the test lets them go (or their request is cancelled). */
const hanging = new Set<() => void>();
const hangStarted: Array<() => void> = [];

/** every call a test tool's handler ran, by tool name and value: what the server really did */
const ran: string[] = [];
const counted = (tool: AnyToolDefinition<ToolDeps>): AnyToolDefinition<ToolDeps> => ({
  ...tool,
  handler: (input, deps, context) => {
    ran.push(`${tool.name}:${String(input['value'] ?? '')}`);
    return tool.handler(input, deps, context);
  },
});

const testTools: AnyToolDefinition<ToolDeps>[] = [
  {
    name: 'echo',
    title: 'Echo',
    description: 'Returns its value',
    inputSchema: { value: z.string() },
    outputSchema: withTextOutput({}),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handler: async (input) => ({ text: String(input['value']) }),
  },
  {
    name: 'slow_with_progress',
    title: 'Slow, reporting progress',
    description: 'Runs for run_ms, reporting progress every interval_ms when the caller asked for progress',
    inputSchema: { run_ms: z.number().int(), interval_ms: z.number().int() },
    outputSchema: withTextOutput({ reports: z.number().optional() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handler: async (input, _deps, context) => {
      const runMs = Number(input['run_ms']);
      const intervalMs = Number(input['interval_ms']);
      const started = Date.now();
      let reports = 0;
      while (Date.now() - started < runMs) {
        if (context.reportProgress) await context.reportProgress(++reports, undefined, `step ${reports}`);
        await sleep(intervalMs, undefined, { signal: context.signal }).catch(() => undefined);
        if (context.signal.aborted) return { text: 'cancelled', isError: true };
      }
      return { text: `finished after ${Date.now() - started} ms with ${reports} progress reports`, structured: { reports } };
    },
  },
  {
    name: 'record_change',
    title: 'Record a change',
    description: 'Counts its calls (a tool that writes)',
    inputSchema: { value: z.string() },
    outputSchema: withTextOutput({}),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    handler: async (input) => ({ text: `recorded ${String(input['value'])}` }),
  },
  {
    name: 'hang',
    title: 'Hang',
    description: 'Waits until released or cancelled',
    inputSchema: {},
    outputSchema: withTextOutput({}),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    handler: async (_input, _deps, context) => {
      hangStarted.splice(0).forEach((resolve) => resolve());
      await new Promise<void>((resolve) => {
        hanging.add(resolve);
        context.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return { text: context.signal.aborted ? 'cancelled' : 'released' };
    },
  },
];

function nextHangStart(): Promise<void> {
  return new Promise((resolve) => hangStarted.push(resolve));
}

let server: McpHttpServer;
const opened: ToolGateway[] = [];

beforeAll(async () => {
  server = await startMcpHttpServer({ port: 0, authToken, deps: createToolDeps({}), tools: testTools.map(counted) });
});
afterEach(async () => {
  hanging.forEach((release) => release());
  hanging.clear();
  vi.unstubAllGlobals();
  await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
});
afterAll(async () => {
  await server?.close();
});

function httpGateway(): ToolGateway {
  const gateway = createToolGateway({ url: server.url, authToken });
  opened.push(gateway);
  return gateway;
}

async function inProcessGateway(): Promise<ToolGateway> {
  const connection = await connectInProcess({ deps: createToolDeps({}), tools: testTools });
  const gateway = createToolGateway({ client: connection.client, closeClient: () => connection.close() });
  opened.push(gateway);
  return gateway;
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

/**
 * The signal each StreamableHTTPClientTransport aborts on close() (its private `_abortController`, read when it
 * starts), and every signal that reached the network (global fetch), sampled as each request goes out.
 */
function watchSignals() {
  const transportSignals: AbortSignal[] = [];
  const prototype = StreamableHTTPClientTransport.prototype as unknown as { start(this: { _abortController?: AbortController }): Promise<void> };
  const start = prototype.start;
  const restoreStart = () => {
    prototype.start = start;
  };
  prototype.start = async function (this: { _abortController?: AbortController }) {
    await start.call(this);
    if (this._abortController) transportSignals.push(this._abortController.signal);
  };
  const fetchedSignals: AbortSignal[] = [];
  const watched = { transportPeak: 0, callerPeak: 0 };
  let caller: AbortSignal | undefined;
  const sample = () => {
    for (const signal of transportSignals) watched.transportPeak = Math.max(watched.transportPeak, abortListeners(signal));
    if (caller) watched.callerPeak = Math.max(watched.callerPeak, abortListeners(caller));
  };
  const realFetch = globalThis.fetch;
  vi.stubGlobal('fetch', (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const response = realFetch(input, init);
    if (init?.signal) fetchedSignals.push(init.signal);
    // after the call: Node's fetch has added its listener by now
    sample();
    return response;
  });
  return {
    transportSignals,
    fetchedSignals,
    watched,
    sample,
    watchCaller(signal: AbortSignal) {
      caller = signal;
    },
    restore: restoreStart,
  };
}

describe('abort listeners over Streamable HTTP', () => {
  it('1,600 calls (16 at a time, one caller signal) leave a bounded number of abort listeners and no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
    };
    process.on('warning', onWarning);
    const signals = watchSignals();
    try {
      const gateway = httpGateway();
      const run = new AbortController();
      signals.watchCaller(run.signal);
      let answered = 0;
      for (let batch = 0; batch < 100; batch++) {
        const outcomes = await Promise.all(
          Array.from({ length: 16 }, (_, index) => gateway.callTool({ name: 'echo', args: { value: `${batch}/${index}` }, signal: run.signal })),
        );
        for (const [index, outcome] of outcomes.entries()) {
          expect(outcome).toMatchObject({ isError: false, text: `${batch}/${index}` });
          answered++;
        }
        signals.sample();
      }
      // warnings are emitted on a later tick
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(1600);
      expect(signals.transportSignals).toHaveLength(1);
      expect(signals.fetchedSignals.length).toBeGreaterThanOrEqual(1600);
      // the transport's signal: at most one listener per link (the POSTs share one; the GET stream's fetch may
      // hold it alone), never one per call
      expect.soft(signals.watched.transportPeak).toBeLessThanOrEqual(2);
      expect.soft(abortListeners(signals.transportSignals[0]!)).toBeLessThanOrEqual(1);
      // the caller's signal: at most one while calls are in flight, none once they are all answered
      expect.soft(signals.watched.callerPeak).toBeLessThanOrEqual(1);
      expect.soft(abortListeners(run.signal)).toBe(0);
      expect.soft(warnings.map((warning) => warning.message)).toEqual([]);
    } finally {
      signals.restore();
      process.off('warning', onWarning);
    }
  });

  it('closing the gateway still aborts the request in flight, and a caller that aborts still cancels its call', async () => {
    const signals = watchSignals();
    try {
      const gateway = httpGateway();
      await gateway.listTools();

      // the caller aborts: the call is cancelled on the server (the tool sees its signal) and rejects here
      const run = new AbortController();
      const started = nextHangStart();
      const cancelled = gateway.callTool({ name: 'hang', args: {}, signal: run.signal });
      await started;
      run.abort(new Error('run stopped'));
      await expect(cancelled).rejects.toThrow(/run stopped/);
      expect(abortListeners(run.signal)).toBe(0);

      // close(): the in-flight POST's fetch is aborted (its own signal, linked to the transport's)
      const before = signals.fetchedSignals.length;
      const closing = nextHangStart();
      const inFlight = gateway.callTool({ name: 'hang', args: {} });
      await closing;
      const requestSignals = signals.fetchedSignals.slice(before);
      expect(requestSignals.length).toBeGreaterThanOrEqual(1);
      expect(requestSignals.some((signal) => signal.aborted)).toBe(false);
      await gateway.close();
      await expect(inFlight).rejects.toThrow();
      expect(requestSignals.every((signal) => signal.aborted)).toBe(true);
    } finally {
      signals.restore();
    }
  });
});

describe('linkAbort', () => {
  it('aborts each linked signal with the parent\'s reason, keeps one listener on the parent, and none once all are released', () => {
    const parent = new AbortController();
    const links = Array.from({ length: 20 }, () => linkAbort(parent.signal));
    expect(abortListeners(parent.signal)).toBe(1);
    links[0]!.release();
    links[0]!.release();
    expect(abortListeners(parent.signal)).toBe(1);
    const reason = new Error('stopped');
    parent.abort(reason);
    expect(links[0]!.signal.aborted).toBe(false);
    expect(links.slice(1).every((link) => link.signal.aborted && link.signal.reason === reason)).toBe(true);
    links.forEach((link) => link.release());

    const again = new AbortController();
    const calls = Array.from({ length: 5 }, () => linkAbort(again.signal));
    calls.forEach((link) => link.release());
    expect(abortListeners(again.signal)).toBe(0);
    // a link made after the last release puts the listener back, and still aborts
    const late = linkAbort(again.signal);
    expect(abortListeners(again.signal)).toBe(1);
    again.abort();
    expect(late.signal.aborted).toBe(true);
    expect(linkAbort(again.signal).signal.aborted).toBe(true);
  });
});

describe('progress resets the call timeout', () => {
  const transports = [
    { name: 'Streamable HTTP', open: async () => httpGateway() },
    { name: 'in-process', open: inProcessGateway },
  ];
  for (const transport of transports) {
    it(`${transport.name}: a tool reporting progress outlives timeoutMs; without progress the same timeout ends it`, async () => {
      const gateway = await transport.open();
      const timeoutMs = 1000;
      // runs two and a half timeouts long, reporting every tenth of one (so a report may come up to 0.9 s late)
      const outcome = await gateway.callTool({ name: 'slow_with_progress', args: { run_ms: 2.5 * timeoutMs, interval_ms: timeoutMs / 10 }, timeoutMs });
      expect(outcome.isError).toBe(false);
      expect(outcome.text).toMatch(/^finished after \d+ ms with \d+ progress reports$/);
      const reports = Number(outcome.structured?.['reports']);
      expect(reports).toBeGreaterThanOrEqual(3);
      // the control: a tool that runs as long without reporting (the hang tool) is ended by the same timeout
      await expect(gateway.callTool({ name: 'hang', args: {}, timeoutMs })).rejects.toThrow(/timed out/i);
    });
  }
});

describe('the protocol revision (issue 77)', () => {
  it('speaks 2026-07-28 to a server that does: no session, every request names its revision', async () => {
    const sent: Array<{ version: string | null; session: string | null; method: string }> = [];
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { method?: string }) : {};
      sent.push({ version: headers.get('mcp-protocol-version'), session: headers.get('mcp-session-id'), method: body.method ?? '' });
      return realFetch(input, init);
    });
    const gateway = httpGateway();
    expect((await gateway.callTool({ name: 'echo', args: { value: 'modern' } })).text).toBe('modern');
    const methods = sent.map((request) => request.method);
    expect(methods).toContain('server/discover');
    expect(methods).toContain('tools/call');
    expect(methods).not.toContain('initialize');
    expect(sent.filter((request) => request.method === 'tools/call').map((request) => request.version)).toEqual(['2026-07-28']);
    expect(sent.every((request) => request.session === null)).toBe(true);
  });
});

describe('an MCP server that restarted (issue 75)', () => {
  it('after the MCP server restarts the gateway connects again within a few calls, each failure saying what it knows', async () => {
    const restarting = await startMcpHttpServer({ port: 0, authToken, deps: createToolDeps({}), tools: testTools });
    const port = Number(new URL(restarting.url).port);
    const gateway = createToolGateway({ url: restarting.url, authToken });
    opened.push(gateway);
    expect((await gateway.callTool({ name: 'echo', args: { value: 'before' } })).text).toBe('before');
    // the process is replaced on the same address: the session the gateway holds is unknown to the new one
    await restarting.close();
    const replaced = await startMcpHttpServer({ port, authToken, deps: createToolDeps({}), tools: testTools });
    try {
      // the first request may meet the old process's closed keep-alive socket (fetch failed), and one on the lost
      // session is answered 404 by the new process (it did not run): either way the gateway connects again
      const failures: unknown[] = [];
      let answer: string | undefined;
      for (let attempt = 0; attempt < 3 && answer === undefined; attempt += 1) {
        answer = await gateway.callTool({ name: 'echo', args: { value: 'after' } }).then((outcome) => outcome.text, (error: unknown) => void failures.push(error));
      }
      expect(answer).toBe('after');
      // each failure is the broken transport as it was, or says the request did not run (lost session, no connection)
      for (const failure of failures) {
        const said = failure instanceof Error ? failure.message : String(failure);
        expect(failure instanceof TypeError ? said : failure instanceof ToolCallNotRunError ? said.replace(/^(The MCP server at \S+ did not receive the request|Cannot reach the MCP server at \S+).*$/s, 'did not run') : said).toMatch(/^(fetch failed|did not run)$/);
      }
      expect((await gateway.listTools({ refresh: true })).map((tool) => tool.name)).toContain('echo');
    } finally {
      await replaced.close();
    }
  });
});

/**
 * An HTTP hop in front of the MCP server that passes every request on and, for the first `tools/call` whose body
 * `drop` picks, lets the server answer and then closes the engine's socket instead of relaying it: the server ran the
 * call, the engine saw its connection break ("fetch failed"), as when a server closes an idle keep-alive socket the
 * engine's request is going out on.
 */
async function startDroppingHop(target: string, drop: (body: string) => boolean): Promise<{ url: string; dropped: () => number; close: () => Promise<void> }> {
  let dropped = 0;
  const hop = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
    const upstream = await fetch(new URL(request.url ?? '/', target), { method: request.method, headers, ...(body.length > 0 ? { body } : {}) });
    const answer = Buffer.from(await upstream.arrayBuffer());
    if (dropped === 0 && drop(body.toString('utf8'))) {
      dropped += 1;
      request.socket.destroy();
      return;
    }
    const relayed: Array<[string, string]> = [];
    upstream.headers.forEach((value, name) => relayed.push([name, value]));
    const kept = relayed.filter(([name]) => !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name));
    response.writeHead(upstream.status, Object.fromEntries(kept));
    response.end(answer);
  });
  await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(hop.address() as AddressInfo).port}/mcp`,
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => hop.close(() => resolve())),
  };
}

describe('a connection that breaks under a call', () => {
  /**
   * A gateway to the test server through a hop that drops the first `tools/call` of `tool`; `listed`: the gateway has
   * fetched the tool list first (as the engine always has before a run calls a tool). `ran` starts empty.
   */
  async function throughDroppingHop(tool: string, listed: boolean, use: (gateway: ToolGateway, dropped: () => number) => Promise<void>): Promise<void> {
    const hop = await startDroppingHop(server.url, (body) => body.includes('"tools/call"') && body.includes(`"${tool}"`));
    try {
      const gateway = createToolGateway({ url: hop.url, authToken });
      opened.push(gateway);
      if (listed) await gateway.listTools();
      ran.length = 0;
      await use(gateway, hop.dropped);
    } finally {
      await hop.close();
    }
  }

  it('a read-only call is sent once more and answers; the server ran it twice, which changes nothing', async () => {
    await throughDroppingHop('echo', true, async (gateway, dropped) => {
      expect(await gateway.callTool({ name: 'echo', args: { value: 'twice' } })).toMatchObject({ text: 'twice', isError: false });
      expect(dropped()).toBe(1);
      expect(ran).toEqual(['echo:twice', 'echo:twice']);
    });
  });

  it('a change is never sent twice: its call fails as it broke (fetch failed), the server ran it once', async () => {
    await throughDroppingHop('record_change', true, async (gateway, dropped) => {
      await expect(gateway.callTool({ name: 'record_change', args: { value: 'once' } })).rejects.toThrow(/^fetch failed$/);
      expect(dropped()).toBe(1);
      expect(ran).toEqual(['record_change:once']);
      // and the gateway is usable again: the next call connects anew
      expect((await gateway.callTool({ name: 'echo', args: { value: 'after' } })).text).toBe('after');
    });
  });

  it('a read-only call the gateway has no listing for is not repeated (it cannot know the tool is read-only)', async () => {
    await throughDroppingHop('echo', false, async (gateway) => {
      await expect(gateway.callTool({ name: 'echo', args: { value: 'unlisted' } })).rejects.toThrow(/^fetch failed$/);
      expect(ran).toEqual(['echo:unlisted']);
    });
  });
});
