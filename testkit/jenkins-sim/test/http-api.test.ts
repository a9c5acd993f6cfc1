import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../../tools.ts';
import { startJenkinsSim, type JenkinsSim } from '../index.ts';
import { testScenario } from './test-scenario.ts';

// Raw HTTP checks for what the skyflo MCP Jenkins tools send: basic auth, crumbs, tree filters, form posts.
let sim: JenkinsSim;
const alice = `Basic ${Buffer.from('alice:alice-token').toString('base64')}`;
const bob = `Basic ${Buffer.from('bob:bob-token').toString('base64')}`;

const get = (pathAndQuery: string, authorization = alice) => fetch(`${sim.url}${pathAndQuery}`, { headers: { authorization }, redirect: 'manual' });
const getJson = async (pathAndQuery: string) => {
  const response = await get(pathAndQuery);
  expect(response.status).toBe(200);
  return response.json();
};
async function crumb(authorization = alice): Promise<string> {
  return (await (await get('/crumbIssuer/api/json', authorization)).json()).crumb;
}
async function post(pathAndQuery: string, form: Record<string, string> = {}, options: { crumb?: string | null; authorization?: string } = {}) {
  const authorization = options.authorization ?? alice;
  const headers: Record<string, string> = { authorization, 'content-type': 'application/x-www-form-urlencoded' };
  const value = options.crumb === undefined ? await crumb(authorization) : options.crumb;
  if (value !== null) headers['Jenkins-Crumb'] = value;
  return fetch(`${sim.url}${pathAndQuery}`, { method: 'POST', headers, body: new URLSearchParams(form).toString(), redirect: 'manual' });
}

beforeAll(async () => {
  sim = await startJenkinsSim({
    scenario: { ...testScenario, users: [...(testScenario.users ?? []), { id: 'bob', fullName: 'Bob Dev', token: 'bob-token' }] },
    queueDelayMs: 10,
    buildDurationMs: 50,
  });
});
afterAll(async () => {
  await sim.close();
});

describe('jenkins-sim authentication and CSRF', () => {
  it('missing or wrong credentials get 401 with a Basic challenge and the Jenkins error page', async () => {
    const missing = await fetch(`${sim.url}/api/json`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Basic realm="Jenkins"');
    const wrong = await get('/api/json', `Basic ${Buffer.from('alice:nope').toString('base64')}`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Invalid password/token for user: alice');
    expect(wrong.headers.get('x-jenkins')).toBe('2.479.3');
  });

  it('the option user and token are accepted too', async () => {
    const response = await get('/whoAmI/api/json', `Basic ${Buffer.from(`${sim.user}:${sim.token}`).toString('base64')}`);
    expect((await response.json()).name).toBe('admin');
  });

  it('POST without a crumb, or with another user\'s crumb, is refused with 403', async () => {
    const none = await post('/job/nightly/build', {}, { crumb: null });
    expect(none.status).toBe(403);
    expect(await none.text()).toContain('No valid crumb was included in the request');
    const borrowed = await post('/job/nightly/build', {}, { crumb: await crumb(bob) });
    expect(borrowed.status).toBe(403);
    const asForm = await post('/job/nightly/build', { 'Jenkins-Crumb': await crumb() }, { crumb: null });
    expect(asForm.status).toBe(201);
    expect(asForm.headers.get('location')).toMatch(new RegExp(`^${sim.url}/queue/item/\\d+/$`));
  });

  it('requireCrumb: false and anonymousRead relax the checks', async () => {
    const relaxed = await startJenkinsSim({ scenario: testScenario, requireCrumb: false, anonymousRead: true });
    try {
      const whoami = await (await fetch(`${relaxed.url}/whoAmI/api/json`)).json();
      expect(whoami).toMatchObject({ anonymous: true, authenticated: false, name: 'anonymous' });
      const anonymousPost = await fetch(`${relaxed.url}/job/nightly/build`, { method: 'POST' });
      expect(anonymousPost.status).toBe(401);
      const noCrumb = await fetch(`${relaxed.url}/job/nightly/build`, { method: 'POST', headers: { authorization: alice } });
      expect(noCrumb.status).toBe(201);
    } finally {
      await relaxed.close();
    }
  });
});

describe('jenkins-sim JSON API', () => {
  it('honours tree filters with ranges, as the skyflo tools send them', async () => {
    const jobs = await getJson(`/api/json?tree=${encodeURIComponent('jobs[name,url]{0,2}')}`);
    expect(jobs).toEqual({
      _class: 'hudson.model.Hudson',
      jobs: [
        { _class: 'com.cloudbees.hudson.plugins.folder.Folder', name: 'platform', url: `${sim.url}/job/platform/` },
        { _class: 'hudson.model.FreeStyleProject', name: 'nightly', url: `${sim.url}/job/nightly/` },
      ],
    });
    const builds = await getJson(`/job/platform/job/deploy/api/json?tree=${encodeURIComponent('builds[number,result,duration]{0,1}')}`);
    expect(builds.builds).toEqual([{ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 8, result: 'FAILURE', duration: 60_000 }]);
    const bad = await get('/api/json?tree=jobs[name');
    expect(bad.status).toBe(400);
  });

  it('depth=1 expands nested jobs that depth 0 shows as summaries', async () => {
    const shallow = await getJson('/job/platform/api/json');
    expect(shallow.jobs[0]).toEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'deploy', url: `${sim.url}/job/platform/job/deploy/`, color: 'red' });
    const deep = await getJson('/job/platform/api/json?depth=1');
    expect(deep.jobs[0].builds[0]).toEqual({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: 8, url: `${sim.url}/job/platform/job/deploy/8/` });
    expect(deep.jobs[0].nextBuildNumber).toBeGreaterThanOrEqual(9);
  });

  it('serves changesets of seeded builds through the tree the changeset tool uses', async () => {
    const tree = 'changeSets[items[commitId,author[fullName],msg,date]],url,number';
    const build = await getJson(`/job/platform/job/deploy/7/api/json?tree=${encodeURIComponent(tree)}`);
    expect(build.number).toBe(7);
    expect(build.changeSets).toHaveLength(1);
    expect(build.changeSets[0].items).toEqual([
      { _class: 'hudson.plugins.git.GitChangeSet', commitId: 'abc1234def', author: { fullName: 'Carol Dev' }, msg: 'Fix readiness probe', date: '2023-11-14 22:13:20 +0000' },
      { _class: 'hudson.plugins.git.GitChangeSet', commitId: 'def5678abc', author: { fullName: 'Bob Dev' }, msg: 'Raise memory limit', date: '2023-11-14 22:15:00 +0000' },
    ]);
    const full = await getJson('/job/platform/job/deploy/7/api/json');
    expect(full.changeSets[0].kind).toBe('git');
    expect(full.changeSets[0].items[0].affectedPaths).toEqual(['chart/templates/deployment.yaml']);
    const buildData = full.actions.find((action: { _class?: string }) => action._class === 'hudson.plugins.git.util.BuildData');
    expect(buildData.remoteUrls).toEqual(['https://github.com/acme/platform.git']);
    expect(buildData.lastBuiltRevision.SHA1).toMatch(/^[0-9a-f]{40}$/);
  });

  it('exposes job SCM: GitSCM in freestyle JSON, config.xml for pipelines', async () => {
    const freestyle = await getJson('/job/nightly/api/json?tree=scm[userRemoteConfigs[url],branches[name]]');
    expect(freestyle.scm).toEqual({
      _class: 'hudson.plugins.git.GitSCM',
      userRemoteConfigs: [{ url: 'https://github.com/acme/nightly.git' }],
      branches: [{ name: '*/develop' }],
    });
    const pipeline = await getJson('/job/platform/job/deploy/api/json');
    expect(pipeline.scm).toBeUndefined();
    const xml = await (await get('/job/platform/job/deploy/config.xml')).text();
    expect(xml).toContain('<url>https://github.com/acme/platform.git</url>');
    expect(xml).toContain('<name>*/main</name>');
    expect(xml).toContain('<scriptPath>Jenkinsfile</scriptPath>');
  });

  it('whoAmI and me describe the authenticated user', async () => {
    expect(await getJson('/whoAmI/api/json')).toMatchObject({ _class: 'hudson.security.WhoAmI', name: 'alice', anonymous: false, authenticated: true });
    expect(await getJson('/me/api/json')).toMatchObject({ _class: 'hudson.model.User', id: 'alice', fullName: 'Alice Ops' });
  });

  it('unknown jobs and builds are 404 pages; wrong methods are 405', async () => {
    const job = await get('/job/platform/job/nope/api/json');
    expect(job.status).toBe(404);
    expect(await job.text()).toContain('HTTP ERROR 404 Not Found');
    expect((await get('/job/platform/job/deploy/999/api/json')).status).toBe(404);
    expect((await get('/job/platform/job/deploy/lastUnstableBuild/api/json')).status).toBe(404);
    const getBuild = await get('/job/nightly/build');
    expect(getBuild.status).toBe(405);
    expect(await getBuild.text()).toContain('This URL requires POST');
  });
});

describe('jenkins-sim build updates', () => {
  it('submitDescription and configSubmit update a build, visible in its JSON', async () => {
    const description = await post('/job/platform/job/deploy/7/submitDescription', { description: 'Known good release' });
    expect(description.status).toBe(302);
    const config = await post('/job/platform/job/deploy/7/configSubmit', { json: JSON.stringify({ displayName: 'release-1.9.0', description: 'Promoted to prod' }) });
    expect(config.status).toBe(302);
    expect(config.headers.get('location')).toBe(`${sim.url}/job/platform/job/deploy/7/`);
    const build = await getJson('/job/platform/job/deploy/7/api/json?tree=displayName,description,fullDisplayName');
    expect(build).toEqual({
      _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
      displayName: 'release-1.9.0',
      description: 'Promoted to prod',
      fullDisplayName: 'platform » deploy release-1.9.0',
    });
  });

  it('progressive text returns the log from a byte offset with X-Text-Size', async () => {
    const response = await get('/job/platform/job/deploy/8/logText/progressiveText?start=26');
    expect(response.headers.get('x-text-size')).toBe(String(Buffer.byteLength('Started by user Alice Ops\nError: timed out waiting for the condition\nFinished: FAILURE\n')));
    expect(response.headers.get('x-more-data')).toBeNull();
    expect(await response.text()).toBe('Error: timed out waiting for the condition\nFinished: FAILURE\n');
  });

  it('a build triggered with form parameters applies defaults and records the triggering user', async () => {
    const response = await post('/job/platform/job/deploy/buildWithParameters', { ENV: 'staging' }, { authorization: bob });
    expect(response.status).toBe(201);
    const queueUrl = response.headers.get('location') as string;
    // waits for the queue item to start by condition (the old loop gave it 1 s in all, which a busy machine can use up)
    const item = await vi.waitFor(
      async () => {
        const queued = await (await get(`${new URL(queueUrl).pathname}api/json`)).json();
        if (!queued.executable) throw new Error(`queue item never started: ${JSON.stringify(queued)}`);
        return queued;
      },
      { timeout: 15_000, interval: 10 },
    );
    expect(item.executable.url).toMatch(/\/job\/platform\/job\/deploy\/\d+\/$/);
    const build = await getJson(`${new URL(item.executable.url).pathname}api/json`);
    const parameters = build.actions.find((action: { _class?: string }) => action._class === 'hudson.model.ParametersAction').parameters;
    expect(parameters).toContainEqual({ _class: 'hudson.model.StringParameterValue', name: 'VERSION', value: '1.0.0' });
    expect(build.actions.find((action: { _class?: string }) => action._class === 'hudson.model.CauseAction').causes[0].userId).toBe('bob');
  });
});

describe('jenkins-sim CLI', () => {
  const binPath = path.join(repoRoot, 'testkit', 'bin', 'jenkins-sim.mjs');
  const directory = mkdtempSync(path.join(tmpdir(), 'jenkins-sim-'));

  it('prints the listening URL and serves the scenario file with the given credentials', async () => {
    const file = path.join(directory, 'scenario.yaml');
    writeFileSync(file, 'jobs:\n  - type: pipeline\n    name: hello\n');
    const child = spawn(process.execPath, [binPath, '--port', '0', '--user', 'ci', '--token', 't0k', '--scenario', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /jenkins-sim listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (found) resolve(found[1]);
        });
        child.once('exit', (code) => reject(new Error(`jenkins-sim exited with ${code}`)));
      });
      const info = await (await fetch(`${url}/api/json?tree=jobs[name]`, { headers: { authorization: `Basic ${Buffer.from('ci:t0k').toString('base64')}` } })).json();
      expect(info.jobs).toEqual([{ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'hello' }]);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('exits with a readable error for an invalid scenario', async () => {
    const file = path.join(directory, 'bad.yaml');
    writeFileSync(file, 'jobs:\n  - type: pipeline\n    name: a\n    results: [GREEN]\n');
    const error = (await promisify(execFile)(process.execPath, [binPath, '--scenario', file]).catch((caught: unknown) => caught)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('jobs[0].results[0]');
    expect(error.stderr).not.toContain('    at ');
  });
});

describe('jenkins-sim example scenario', () => {
  it('the shipped CI example validates and serves its seeded history', async () => {
    const example = await startJenkinsSim({ scenario: path.join(repoRoot, 'testkit', 'jenkins-sim', 'examples', 'ci.yaml') });
    try {
      const response = await fetch(`${example.url}/job/platform/job/deploy/lastFailedBuild/consoleText`, {
        headers: { authorization: `Basic ${Buffer.from('alice:alice-token').toString('base64')}` },
      });
      expect(await response.text()).toContain('UPGRADE FAILED');
    } finally {
      await example.close();
    }
  });
});
