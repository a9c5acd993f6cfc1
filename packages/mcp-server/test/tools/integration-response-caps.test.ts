/**
 * Issue 74 item 4: an integration's answer is read with a byte cap counted while it streams. A Prometheus that answered
 * 300 MB took the engine from 542 to 1,370 MB, because the whole answer was held before anything looked at its size.
 * Against a loopback server that streams 300 MB, each tool must answer a tool error naming the cap, and the server
 * must see the reader hang up after little more than the cap (the rest is never downloaded).
 */
import { startFloodServer, type FloodServer } from '@skyflo/testkit/flood-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { observabilityTools } from '../../src/tools/observability/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const cap = 1024 * 1024;
const total = 300 * 1024 * 1024;
/** what the reader may take in beyond the cap: socket buffers on both sides, a few MiB at most */
const slack = 32 * 1024 * 1024;

let flood: FloodServer;
let deps: ToolDeps;

const tool = (name: string) => [...observabilityTools, ...jenkinsTools].find((candidate) => candidate.name === name)!;

beforeAll(async () => {
  flood = await startFloodServer({
    totalBytes: total,
    handle: (request) => {
      if (request.path.startsWith('/api/v1/') || request.path.startsWith('/loki/')) return { flood: { contentType: 'application/json', prefix: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"x":"' } };
      if (request.path.includes('/logText/progressiveText')) return { flood: { contentType: 'text/plain' } };
      if (request.path.includes('declared')) return { flood: { contentType: 'application/json', declareLength: true } };
      return { status: 404, body: 'not here' };
    },
  });
  const base = helmDeps({ settings: { integrationResponseMaxBytes: cap } });
  deps = {
    ...base,
    observabilitySources: { prometheus: { url: flood.url, auth: { type: 'bearer', token: 'prom-token' } }, loki: { url: flood.url } },
    jenkinsCredentials: { resolve: async () => ({ apiUrl: `${flood.url}/`, username: 'ci', apiToken: 'jenkins-token' }) },
  };
});

afterAll(async () => {
  await flood?.close();
});

/** The flood the last request started: the reader hung up, after little more than the cap. */
async function expectStoppedEarly(): Promise<void> {
  const last = flood.floods.at(-1)!;
  await vi.waitFor(() => expect(last.abandoned || last.finished).toBe(true), { timeout: 30_000 });
  expect(last.finished).toBe(false);
  expect(last.sent).toBeLessThan(cap + slack);
}

describe('a 300 MB answer from an integration', () => {
  it('prometheus_query: a tool error naming the cap, and reading stopped early', async () => {
    const result = await callTool(tool('prometheus_query'), { query: 'up' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toBe(`Prometheus at ${flood.url} answered more than 1 MiB, the most Skyflo reads from an integration; reading stopped there.\nTry: narrow the query: a shorter range, a larger step, or fewer series (aggregate with sum by (…) or topk)`);
    expect(result.structured).toMatchObject({ error: { code: 'RESPONSE_TOO_LARGE' } });
    await expectStoppedEarly();
  });

  it('loki_query_range: the same', async () => {
    const result = await callTool(tool('loki_query_range'), { query: '{app="web"}', start: '1h' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`Loki at ${flood.url} answered more than 1 MiB`);
    await expectStoppedEarly();
  });

  it('jenkins_get_build_log: the same, with a way to ask for less', async () => {
    const result = await callTool(tool('jenkins_get_build_log'), { credentials_ref: 'skyflo/ci', jobFullName: 'shop', build: 7 }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`Jenkins at ${flood.url} answered more than 1 MiB, the most Skyflo reads from an integration; reading stopped there.`);
    expect(result.text).toContain('a build log from a later start offset');
    await expectStoppedEarly();
  });

  it('an answer that declares its length past the cap is refused before any of it is read', async () => {
    const prometheus = { ...deps, observabilitySources: { prometheus: { url: `${flood.url}/declared` } } };
    const result = await callTool(tool('prometheus_query'), { query: 'up' }, prometheus);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('answered more than 1 MiB');
    await expectStoppedEarly();
  });
});
