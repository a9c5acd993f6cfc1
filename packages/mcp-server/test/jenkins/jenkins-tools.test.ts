/**
 * The Jenkins family against jenkins-sim (the REST API Jenkins serves), with a fake credentials
 * resolver standing in for the integration Secret.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import type { JenkinsCredentialResolver, ToolDeps } from '../../src/deps/deps.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const tool = (name: string) => jenkinsTools.find((candidate) => candidate.name === name)!;

let sim: JenkinsSim;
let deps: ToolDeps;
let auth: { api_url: string; credentials_ref: string };
const resolved: Array<{ apiUrl?: string; credentialsRef: string }> = [];

/** Stands in for the integration Secret: the Jenkins URL comes with the credentials, never from the caller. */
function resolverFor(token: () => string, url: () => string = () => sim.url): JenkinsCredentialResolver {
  return {
    async resolve(reference) {
      resolved.push(reference);
      if (reference.credentialsRef !== 'skyflo/jenkins-cred-0123') throw new Error('secret skyflo/other not found');
      return { apiUrl: url(), username: 'admin', apiToken: token() };
    },
  };
}
/** deps whose integration points at another Jenkins (an unreachable or misbehaving one). */
const depsFor = (url: string, settings: Partial<ToolDeps['settings']> = {}): ToolDeps => ({ ...deps, settings: { ...deps.settings, ...settings }, jenkinsCredentials: resolverFor(() => sim.token, () => url) });

beforeAll(async () => {
  sim = await startJenkinsSim({
    buildDurationMs: 150,
    queueDelayMs: 20,
    scenario: {
      jobs: [
        {
          type: 'folder',
          name: 'team',
          jobs: [
            {
              type: 'pipeline',
              name: 'deploy app',
              parameters: [
                { name: 'ENV', type: 'choice', choices: ['staging', 'prod'], description: 'target environment' },
                { name: 'VERSION', type: 'string', default: '1.0.0' },
              ],
              scm: { url: 'https://git.example.com/team/app.git', branch: 'main' },
              logLines: ['Deploying ${VERSION} to ${ENV}', 'Done'],
              builds: [
                { result: 'SUCCESS', changeSet: [{ commitId: 'a1b2c3d', msg: 'Fix checkout timeout', author: 'Ada Lovelace', affectedPaths: ['src/checkout.ts'] }], revision: 'a1b2c3d4e5' },
                { result: 'FAILURE', log: `${'compiling...\n'.repeat(3000)}ERROR: tests failed\n` },
              ],
            },
          ],
        },
        { type: 'freestyle', name: 'nightly', buildDurationMs: 60_000, builds: [{ result: 'SUCCESS' }] },
      ],
    },
  });
  deps = helmDeps({ settings: { jenkinsPollIntervalMs: 20, outputBudgetBytes: 8 * 1024 } });
  deps.jenkinsCredentials = resolverFor(() => sim.token);
  auth = { api_url: sim.url, credentials_ref: 'skyflo/jenkins-cred-0123' };
});

afterAll(async () => {
  await sim?.close();
});

const parse = (text: string) => JSON.parse(text) as { status: number; body: any };

describe('jenkins read tools', () => {
  it('lists jobs and gets a job inside a folder (segments URL-encoded)', async () => {
    const jobs = parse((await callTool(tool('jenkins_get_jobs'), { ...auth }, deps)).text);
    expect(jobs.body.jobs.map((job: { name: string }) => job.name)).toEqual(['team', 'nightly']);
    const job = await callTool(tool('jenkins_get_job'), { ...auth, jobFullName: 'team/deploy app' }, deps);
    expect(job.isError).toBeFalsy();
    expect(parse(job.text).body.fullName).toBe('team/deploy app');
    expect(sim.calls.some((call) => call.path === '/job/team/job/deploy%20app/api/json')).toBe(true);
  });

  it('reports a missing job as not found', async () => {
    const result = await callTool(tool('jenkins_get_job'), { ...auth, jobFullName: 'team/ghost' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('not found (HTTP 404)');
  });

  it('gets builds, newest first, and one build', async () => {
    const builds = parse((await callTool(tool('jenkins_get_last_builds'), { ...auth, jobFullName: 'team/deploy app', count: 5 }, deps)).text);
    expect(builds.body.builds.map((build: { number: number; result: string }) => [build.number, build.result])).toEqual([
      [2, 'FAILURE'],
      [1, 'SUCCESS'],
    ]);
    const build = parse((await callTool(tool('jenkins_get_build'), { ...auth, jobFullName: 'team/deploy app', build: 1 }, deps)).text);
    expect(build.body).toMatchObject({ number: 1, result: 'SUCCESS', building: false });
  });

  it('tails a long build log within the budget and says where to continue', async () => {
    const result = await callTool(tool('jenkins_get_build_log'), { ...auth, jobFullName: 'team/deploy app', build: 2 }, deps);
    expect(result.isError).toBeFalsy();
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(8 * 1024);
    const body = parse(result.text).body;
    expect(body.log).toContain('ERROR: tests failed');
    expect(body.log).toContain('output cut');
    expect(body.nextStart).toBe(Buffer.byteLength(`${'compiling...\n'.repeat(3000)}ERROR: tests failed\n`));
    const rest = parse((await callTool(tool('jenkins_get_build_log'), { ...auth, jobFullName: 'team/deploy app', build: 2, start: body.nextStart - 20 }, deps)).text).body;
    expect(rest.log).toBe('ERROR: tests failed\n');
  });

  it('returns job parameters, SCM, build SCM and change sets', async () => {
    const parameters = parse((await callTool(tool('jenkins_get_job_parameters'), { ...auth, jobFullName: 'team/deploy app' }, deps)).text).body;
    expect(parameters.parameters).toEqual([
      expect.objectContaining({ name: 'ENV', type: 'Choice', choices: ['staging', 'prod'] }),
      expect.objectContaining({ name: 'VERSION', type: 'String', default: '1.0.0' }),
    ]);
    const scm = (await callTool(tool('jenkins_get_job_scm'), { ...auth, jobFullName: 'team/deploy app' }, deps)).text;
    expect(scm).toContain('https://git.example.com/team/app.git');
    const buildScm = (await callTool(tool('jenkins_get_build_scm'), { ...auth, jobFullName: 'team/deploy app', build: 1 }, deps)).text;
    expect(buildScm).toContain('a1b2c3d4e5');
    const changes = parse((await callTool(tool('jenkins_get_build_changesets'), { ...auth, jobFullName: 'team/deploy app', build: 1 }, deps)).text).body;
    expect(changes.commits).toBe(1);
    expect(JSON.stringify(changes.changeSets)).toContain('Fix checkout timeout');
    expect(JSON.stringify(changes.changeSets)).toContain('Ada Lovelace');
  });

  it('whoami names the integration user and never echoes the token', async () => {
    const result = await callTool(tool('jenkins_whoami'), { ...auth }, deps);
    expect(parse(result.text).body.id).toBe('admin');
    expect(result.text).not.toContain(sim.token);
  });
});

describe('jenkins write tools', () => {
  it('triggers a parameterized build, follows the queue to a build number, and the build ran with the parameters', async () => {
    const result = await callTool(tool('jenkins_trigger_build'), { ...auth, jobFullName: 'team/deploy app', parameters: { ENV: 'staging', VERSION: '2.4.1' } }, deps);
    expect(result.isError, result.text).toBeFalsy();
    const body = parse(result.text).body;
    expect(body.buildNumber).toBe(3);
    expect(body.url).toContain('/job/team/job/deploy%20app/3/');
    const post = sim.calls.find((call) => call.method === 'POST' && call.path.endsWith('/buildWithParameters'));
    expect(post?.form).toMatchObject({ ENV: 'staging', VERSION: '2.4.1' });
    expect(post?.status).toBe(201);
    // the build prints its parameters once it runs: read its log until it has
    await vi.waitFor(async () => {
      const log = parse((await callTool(tool('jenkins_get_build_log'), { ...auth, jobFullName: 'team/deploy app', build: 3 }, deps)).text).body;
      expect(log.log).toContain('Deploying 2.4.1 to staging');
    }, { timeout: 15_000, interval: 50 });
  });

  it('explains a parameterized job triggered without parameters', async () => {
    const result = await callTool(tool('jenkins_trigger_build'), { ...auth, jobFullName: 'team/deploy app' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('jenkins_get_job_parameters');
  });

  it('updates a build description and display name', async () => {
    const result = await callTool(tool('jenkins_update_build'), { ...auth, jobFullName: 'team/deploy app', build: 1, description: 'verified by Skyflo', displayName: 'release 1' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    const build = parse((await callTool(tool('jenkins_get_build'), { ...auth, jobFullName: 'team/deploy app', build: 1 }, deps)).text).body;
    expect(build).toMatchObject({ description: 'verified by Skyflo', displayName: 'release 1' });
    const empty = await callTool(tool('jenkins_update_build'), { ...auth, jobFullName: 'team/deploy app', build: 1 }, deps);
    expect(empty.isError).toBe(true);
  });

  it('stops a running build, and reports a finished one instead of failing', async () => {
    const triggered = parse((await callTool(tool('jenkins_trigger_build'), { ...auth, jobFullName: 'nightly' }, deps)).text).body;
    const stopped = parse((await callTool(tool('jenkins_stop_build'), { ...auth, jobFullName: 'nightly', build: triggered.buildNumber }, deps)).text).body;
    expect(stopped).toMatchObject({ buildNumber: triggered.buildNumber, building: false, result: 'ABORTED' });
    const again = await callTool(tool('jenkins_stop_build'), { ...auth, jobFullName: 'nightly', build: triggered.buildNumber }, deps);
    expect(again.isError).toBeFalsy();
    expect(parse(again.text).body.message).toContain('already completed (result: ABORTED)');
  });

  it('sends a CSRF crumb with every POST', async () => {
    const posts = sim.calls.filter((call) => call.method === 'POST');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((call) => call.status !== 403)).toBe(true);
    expect(sim.calls.some((call) => call.path === '/crumbIssuer/api/json')).toBe(true);
  });
});

describe('jenkins failures and defences', () => {
  it('reports rejected credentials (401) clearly, without the token', async () => {
    const badDeps = { ...deps, jenkinsCredentials: resolverFor(() => 'wrong-token') };
    const result = await callTool(tool('jenkins_whoami'), { ...auth }, badDeps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Jenkins rejected the credentials (HTTP 401)');
    expect(result.text).not.toContain('wrong-token');
  });

  it.each([
    ['..', 'team/../../script'],
    ['leading slash', '/team/deploy app'],
    ['query characters', 'team/deploy?x=1'],
    ['empty segment', 'team//deploy'],
  ])('rejects a hostile jobFullName (%s) before any request', async (_label, jobFullName) => {
    const before = sim.calls.length;
    const result = await callTool(tool('jenkins_get_build'), { ...auth, jobFullName }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Invalid jobFullName');
    expect(sim.calls.length).toBe(before);
  });

  it('rejects a malformed credentials_ref and an api_url carrying credentials', async () => {
    const badRef = await callTool(tool('jenkins_whoami'), { api_url: sim.url, credentials_ref: '../etc' }, deps);
    expect(badRef.text).toContain('credentials_ref must be "namespace/name"');
    const userinfo = await callTool(tool('jenkins_whoami'), { api_url: sim.url.replace('http://', 'http://u:p@'), credentials_ref: auth.credentials_ref }, deps);
    expect(userinfo.isError).toBe(true);
    expect(userinfo.text).toContain('must not contain credentials');
  });

  it('reports a resolver failure and an unreachable Jenkins', async () => {
    const missing = await callTool(tool('jenkins_whoami'), { api_url: sim.url, credentials_ref: 'skyflo/other' }, deps);
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('Could not read the Jenkins credentials skyflo/other');
    const down = await callTool(tool('jenkins_get_jobs'), { credentials_ref: auth.credentials_ref }, depsFor('http://127.0.0.1:9'));
    expect(down.isError).toBe(true);
    expect(down.text).toContain('unreachable');
  });

  it('times out with a clear error', async () => {
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const quick = depsFor(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, { jenkinsTimeoutMs: 200 });
      const result = await callTool(tool('jenkins_get_jobs'), { credentials_ref: auth.credentials_ref }, quick);
      expect(result.isError).toBe(true);
      expect(result.text).toContain('did not answer within');
    } finally {
      hanging.closeAllConnections();
      await new Promise((resolve) => hanging.close(resolve));
    }
  });

  it('never sends credentials along a redirect to another host', async () => {
    const seen: Array<string | undefined> = [];
    const other = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"jobs":[]}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const redirecting = http.createServer((request, response) => {
      response.writeHead(302, { location: `http://localhost:${(other.address() as AddressInfo).port}/api/json` }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      await callTool(tool('jenkins_get_jobs'), { credentials_ref: auth.credentials_ref }, depsFor(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`));
      expect(seen).toEqual([undefined]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it('marks only the three write tools as mutating', () => {
    expect(jenkinsTools).toHaveLength(13);
    expect(jenkinsTools.filter((definition) => !definition.annotations.readOnlyHint).map((definition) => definition.name).sort()).toEqual([
      'jenkins_stop_build',
      'jenkins_trigger_build',
      'jenkins_update_build',
    ]);
    for (const definition of jenkinsTools) {
      expect(definition.inputSchema.api_url.description).toContain('engine-injected');
      expect(definition.inputSchema.credentials_ref.description).toContain('engine-injected');
    }
  });
});
