import Jenkins from 'jenkins';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '../index.ts';
import { testScenario } from './test-scenario.ts';

// The real `jenkins` npm client drives the sim, so URL layout, status codes (201 + Location, 302 on stop) and crumb
// handling must match what it expects from a real Jenkins.
let sim: JenkinsSim;
let jenkins: Jenkins;

const clientFor = (user: string, token: string) => {
  const url = new URL(sim.url);
  url.username = user;
  url.password = token;
  return new Jenkins({ baseUrl: url.toString().replace(/\/$/, ''), crumbIssuer: true });
};

// Waits by condition (vi.waitFor), with limits far above what the simulator needs, so a busy machine cannot fail them.
async function waitForBuild(name: string, queueId: number): Promise<number> {
  return vi.waitFor(
    async () => {
      const item = await jenkins.queue.item(queueId);
      if (!item.executable) throw new Error(`queue item ${queueId} of ${name} never started`);
      return item.executable.number as number;
    },
    { timeout: 15_000, interval: 10 },
  );
}

async function waitUntilDone(name: string, number: number) {
  return vi.waitFor(
    async () => {
      const build = await jenkins.build.get(name, number);
      if (build.building) throw new Error(`${name} #${number} never finished`);
      return build;
    },
    { timeout: 15_000, interval: 10 },
  );
}

beforeAll(async () => {
  sim = await startJenkinsSim({ scenario: testScenario, queueDelayMs: 20 });
  jenkins = clientFor('alice', 'alice-token');
});
afterAll(async () => {
  await sim.close();
});

describe('jenkins-sim with the jenkins npm client', () => {
  it('info lists top-level folders and jobs with Jenkins class names', async () => {
    const info = await jenkins.info();
    expect(info._class).toBe('hudson.model.Hudson');
    expect(info.useCrumbs).toBe(true);
    expect(info.jobs.map((job: { name: string; _class: string }) => [job.name, job._class])).toEqual([
      ['platform', 'com.cloudbees.hudson.plugins.folder.Folder'],
      ['nightly', 'hudson.model.FreeStyleProject'],
      ['archived', 'org.jenkinsci.plugins.workflow.job.WorkflowJob'],
    ]);
    // Depth 0: nested jobs are summaries, not full objects.
    expect(Object.keys(info.jobs[1]).sort()).toEqual(['_class', 'color', 'name', 'url']);
  });

  it('job.list and job.get walk folders and expose parameters, builds and permalinks', async () => {
    const inFolder = await jenkins.job.list('platform');
    expect(inFolder.map((job) => job.name)).toEqual(['deploy']);
    expect(inFolder[0].url).toBe(`${sim.url}/job/platform/job/deploy/`);

    const job = await jenkins.job.get('platform/deploy');
    expect(job._class).toBe('org.jenkinsci.plugins.workflow.job.WorkflowJob');
    expect(job.fullName).toBe('platform/deploy');
    expect(job.builds.map((build: { number: number }) => build.number)).toEqual([8, 7]);
    expect(job.lastFailedBuild.number).toBe(8);
    expect(job.lastSuccessfulBuild.number).toBe(7);
    expect(job.color).toBe('red');
    const definitions = job.property.find((property: { _class: string }) => property._class === 'hudson.model.ParametersDefinitionProperty').parameterDefinitions;
    expect(definitions.map((definition: { name: string; type: string }) => [definition.name, definition.type])).toEqual([
      ['ENV', 'ChoiceParameterDefinition'],
      ['VERSION', 'StringParameterDefinition'],
      ['DRY_RUN', 'BooleanParameterDefinition'],
    ]);
    expect(definitions[0].choices).toEqual(['staging', 'prod']);
    expect(definitions[2].defaultParameterValue.value).toBe(true);
    expect(await jenkins.job.exists('platform/missing')).toBe(false);
  });

  it('build with parameters goes through the queue, runs, and reports result, parameters and log', async () => {
    const queueId = await jenkins.job.build({ name: 'platform/deploy', parameters: { ENV: 'prod', VERSION: '2.0.0' } });
    expect(queueId).toBeGreaterThan(0);
    const waiting = await jenkins.queue.item(queueId);
    expect(waiting._class).toBe('hudson.model.Queue$WaitingItem');
    expect(waiting.why).toContain('quiet period');

    const number = await waitForBuild('platform/deploy', queueId);
    expect(number).toBe(9);
    const running = await jenkins.build.get('platform/deploy', number);
    expect(running.building).toBe(true);
    expect(running.result).toBeNull();

    const done = await waitUntilDone('platform/deploy', number);
    expect(done.result).toBe('SUCCESS');
    expect(done.duration).toBeGreaterThan(0);
    const parameters = done.actions.find((action: { _class?: string }) => action._class === 'hudson.model.ParametersAction').parameters;
    expect(parameters.map((parameter: { name: string; value: unknown }) => [parameter.name, parameter.value])).toEqual([
      ['ENV', 'prod'],
      ['VERSION', '2.0.0'],
      ['DRY_RUN', true],
    ]);
    const cause = done.actions.find((action: { _class?: string }) => action._class === 'hudson.model.CauseAction').causes[0];
    expect(cause.shortDescription).toBe('Started by user Alice Ops');

    const log = await jenkins.build.log('platform/deploy', number);
    expect(log).toContain('Deploying 2.0.0 to prod');
    expect(log.trimEnd().endsWith('Finished: SUCCESS')).toBe(true);

    // The job's scripted result sequence makes the next build fail.
    const second = await waitForBuild('platform/deploy', await jenkins.job.build({ name: 'platform/deploy', parameters: { ENV: 'staging' } }));
    expect((await waitUntilDone('platform/deploy', second)).result).toBe('FAILURE');
    const lastFailed = await jenkins.build.get('platform/deploy', 'lastFailedBuild');
    expect(lastFailed.number).toBe(second);
  });

  it('rejects a plain build of a parameterized job and an illegal choice with 400', async () => {
    await expect(jenkins.job.build({ name: 'platform/deploy' })).rejects.toMatchObject({ res: { statusCode: 400 } });
    await expect(jenkins.job.build({ name: 'platform/deploy', parameters: { ENV: 'moon' } })).rejects.toMatchObject({ res: { statusCode: 400 } });
    await expect(jenkins.job.build({ name: 'archived' })).rejects.toMatchObject({ res: { statusCode: 409 } });
    await expect(jenkins.job.build({ name: 'platform/nope' })).rejects.toMatchObject({ notFound: true });
  });

  it('stops a running build, which ends ABORTED with the stop in its log', async () => {
    const number = await waitForBuild('nightly', await jenkins.job.build({ name: 'nightly' }));
    await jenkins.build.stop('nightly', number);
    const build = await jenkins.build.get('nightly', number);
    expect(build).toMatchObject({ building: false, result: 'ABORTED' });
    expect(await jenkins.build.log('nightly', number)).toContain('Aborted by Alice Ops');
    expect((await jenkins.job.get('nightly')).color).toBe('aborted');
  });

  it('logStream follows progressive text until the build finishes', async () => {
    const number = await waitForBuild('platform/deploy', await jenkins.job.build({ name: 'platform/deploy', parameters: { ENV: 'staging', VERSION: '3.1.4' } }));
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = jenkins.build.logStream({ name: 'platform/deploy', number, delay: 20 });
      stream.on('data', (text) => chunks.push(text));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    expect(chunks.length).toBeGreaterThan(1);
    const full = chunks.join('');
    expect(full).toBe(await jenkins.build.log('platform/deploy', number));
    expect(full).toContain('Deploying 3.1.4 to staging');
    expect(full).toContain('Finished: ');
  });

  it('build.log with meta reports size and more-data while building', async () => {
    const number = await waitForBuild('nightly', await jenkins.job.build({ name: 'nightly' }));
    const first = await jenkins.build.log({ name: 'nightly', number, meta: true });
    expect(first.more).toBe(true);
    expect(Number(first.size)).toBe(Buffer.byteLength(first.text));
    const rest = await jenkins.build.log({ name: 'nightly', number, start: Number(first.size), meta: true });
    // papi leaves an empty body undefined.
    expect(rest.text ?? '').toBe('');
    await jenkins.build.stop('nightly', number);
    expect((await jenkins.build.log({ name: 'nightly', number, meta: true })).more).toBe(false);
  });

  it('cancels a queued item', async () => {
    const slowQueue = await startJenkinsSim({ scenario: testScenario, queueDelayMs: 5_000 });
    try {
      const url = new URL(slowQueue.url);
      url.username = slowQueue.user;
      url.password = slowQueue.token;
      const client = new Jenkins({ baseUrl: url.toString().replace(/\/$/, '') });
      const queueId = await client.job.build({ name: 'nightly' });
      expect((await client.queue.list()).map((item) => item.id)).toEqual([queueId]);
      await client.queue.cancel(queueId);
      expect(await client.queue.item(queueId)).toMatchObject({ cancelled: true, executable: null });
      expect(await client.queue.list()).toEqual([]);
    } finally {
      await slowQueue.close();
    }
  });

  it('a wrong token fails with 401', async () => {
    const wrong = clientFor('alice', 'not-the-token');
    await expect(wrong.info()).rejects.toMatchObject({ res: { statusCode: 401 } });
  });

  it('the client fetches a crumb before a POST and the sim accepts it', async () => {
    const before = sim.calls.length;
    await jenkins.job.build({ name: 'platform/deploy', parameters: { ENV: 'staging' } });
    const calls = sim.calls.slice(before);
    expect(calls.map((call) => [call.method, call.path, call.status])).toEqual([
      ['GET', '/crumbIssuer/api/json', 200],
      ['POST', '/job/platform/job/deploy/buildWithParameters', 201],
    ]);
    expect(calls[1].form).toEqual({ ENV: 'staging' });
    expect(calls[1].headers['jenkins-crumb']).toBeUndefined();
  });
});
