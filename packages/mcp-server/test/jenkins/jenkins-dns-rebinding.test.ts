/**
 * Issue 31, item 13, for the MCP server's Jenkins tools: the integration's URL (from its Secret, or handed over by
 * the engine after its own check) was fetched with a plain `fetch`, so a name answering 169.254.169.254 by then
 * received the Jenkins token. The tools now send through the pinned fetch (@skyflo/connectors/egress): the address
 * connected to is the one checked. The resolver is injected (no network) and answers a scripted sequence.
 */
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { createIntegrationEgress } from '@skyflo/connectors/egress';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const whoami = jenkinsTools.find((candidate) => candidate.name === 'jenkins_whoami')!;
let sim: JenkinsSim;
const seen: string[] = [];

beforeAll(async () => {
  sim = await startJenkinsSim({});
});

afterAll(async () => {
  await sim?.close();
});

/** deps whose integration is `http://<host>:<sim port>/`, host names answered by `answers` in turn (last repeats) */
function depsResolving(host: string, answers: string[]): { deps: ToolDeps; close: () => Promise<void> } {
  let turn = 0;
  const egress = createIntegrationEgress({
    resolve: async (hostname) => {
      seen.push(hostname);
      return [{ address: answers[Math.min(turn++, answers.length - 1)]!, family: 4 }];
    },
  });
  const port = new URL(sim.url).port;
  const deps: ToolDeps = {
    ...helmDeps({}),
    jenkinsFetch: egress.fetch,
    jenkinsCredentials: { resolve: async () => ({ apiUrl: `http://${host}:${port}/`, username: sim.user, apiToken: sim.token }) },
  };
  return { deps, close: () => egress.close() };
}

describe('Jenkins tools and DNS rebinding', () => {
  it('a Jenkins name that answers loopback to the check and the metadata address when connecting gets no request and no token', async () => {
    const before = sim.calls.length;
    const { deps, close } = depsResolving('jenkins.rebind.test', ['127.0.0.1', '169.254.169.254']);
    try {
      const output = await callTool(whoami, { credentials_ref: 'skyflo/jenkins' }, deps);
      expect(output.isError).toBe(true);
      expect(output.structured).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringMatching(/^http:\/\/jenkins\.rebind\.test:\d+ resolves to 169\.254\.169\.254, a link-local or cloud metadata address/) } });
      expect(seen).toEqual(['jenkins.rebind.test', 'jenkins.rebind.test']);
      expect(sim.calls.length).toBe(before);
    } finally {
      await close();
    }
  });

  it('a name that keeps answering an allowed address reaches Jenkins as before', async () => {
    const { deps, close } = depsResolving('jenkins.example.test', ['127.0.0.1']);
    try {
      const output = await callTool(whoami, { credentials_ref: 'skyflo/jenkins' }, deps);
      expect(output.isError, output.text).toBeFalsy();
      expect(output.text).toContain(sim.user);
    } finally {
      await close();
    }
  });

  it("the server's own deps send Jenkins requests through the guard (a metadata address is refused before any connection)", async () => {
    const deps = createToolDeps({});
    await expect(deps.jenkinsFetch!('http://169.254.169.254/latest/meta-data/')).rejects.toThrow('http://169.254.169.254 is a link-local or cloud metadata address');
    await expect(deps.jenkinsFetch!('http://[::ffff:169.254.169.254]/')).rejects.toThrow(/is a link-local or cloud metadata address/);
  });
});
