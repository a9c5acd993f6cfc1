/**
 * Review finding: Jenkins parameters are {name, value} pairs, so a sensitive name never sits on the key of
 * its value and the key rule missed it (a string parameter named DEPLOY_TOKEN printed its default and value).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const tool = (name: string) => jenkinsTools.find((candidate) => candidate.name === name)!;
const DEFAULT_TOKEN = 'default-deploy-token-4711';
const BUILD_TOKEN = 'build-deploy-token-0815';

let sim: JenkinsSim;
let deps: ToolDeps;
let auth: { api_url: string; credentials_ref: string };

beforeAll(async () => {
  sim = await startJenkinsSim({
    scenario: {
      jobs: [
        {
          type: 'freestyle',
          name: 'release',
          parameters: [
            { name: 'DEPLOY_TOKEN', type: 'string', default: DEFAULT_TOKEN },
            { name: 'TARGET', type: 'string', default: 'staging' },
          ],
          builds: [{ result: 'SUCCESS', parameters: { DEPLOY_TOKEN: BUILD_TOKEN, TARGET: 'prod' } }],
        },
      ],
    },
  });
  deps = helmDeps({});
  deps.jenkinsCredentials = { resolve: async () => ({ apiUrl: sim.url, username: 'admin', apiToken: sim.token }) };
  auth = { api_url: sim.url, credentials_ref: 'skyflo/jenkins' };
});
afterAll(async () => {
  await sim?.close();
});

describe('review: Jenkins parameter values', () => {
  it('jenkins_get_job_parameters hides the default of a sensitive parameter and keeps the others', async () => {
    const result = await callTool(tool('jenkins_get_job_parameters'), { ...auth, jobFullName: 'release' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).not.toContain(DEFAULT_TOKEN);
    const parameters = JSON.parse(result.text).body.parameters;
    expect(parameters).toEqual([
      expect.objectContaining({ name: 'DEPLOY_TOKEN', default: '[REDACTED]' }),
      expect.objectContaining({ name: 'TARGET', default: 'staging' }),
    ]);
  });

  it('jenkins_get_build with a tree asking for parameter values hides the sensitive one', async () => {
    const result = await callTool(tool('jenkins_get_build'), { ...auth, jobFullName: 'release', build: 1, tree: 'number,actions[parameters[name,value]]' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).not.toContain(BUILD_TOKEN);
    const parameters = JSON.parse(result.text).body.actions.flatMap((action: { parameters?: unknown[] }) => action.parameters ?? []);
    expect(parameters).toEqual([
      { name: 'DEPLOY_TOKEN', value: '[REDACTED]' },
      { name: 'TARGET', value: 'prod' },
    ]);
  });
});
