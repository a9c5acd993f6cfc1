import type { JenkinsScenario } from '../index.ts';

/** Shared by the jenkins-sim tests: a folder with a parameterised pipeline, a slow freestyle job and a disabled job. */
export const testScenario: JenkinsScenario = {
  users: [{ id: 'alice', fullName: 'Alice Ops', token: 'alice-token' }],
  jobs: [
    {
      type: 'folder',
      name: 'platform',
      description: 'Platform team',
      jobs: [
        {
          type: 'pipeline',
          name: 'deploy',
          description: 'Deploys the platform chart',
          parameters: [
            { name: 'ENV', type: 'choice', choices: ['staging', 'prod'], description: 'Target environment' },
            { name: 'VERSION', default: '1.0.0' },
            { name: 'DRY_RUN', type: 'boolean', default: true },
          ],
          scm: { url: 'https://github.com/acme/platform.git', branch: 'main', credentialsId: 'github' },
          buildDurationMs: 120,
          results: ['SUCCESS', 'FAILURE', 'SUCCESS'],
          logLines: ['Deploying ${VERSION} to ${ENV}', 'helm upgrade --install platform ./chart'],
          changeSets: [[{ commitId: 'c0ffee1234', msg: 'Bump chart to 2.0.0', author: 'Bob Dev', affectedPaths: ['chart/Chart.yaml'] }]],
          builds: [
            {
              number: 7,
              result: 'SUCCESS',
              durationMs: 42_000,
              parameters: { ENV: 'staging', VERSION: '1.9.0', DRY_RUN: false },
              log: 'Started by user Alice Ops\nDeploying 1.9.0 to staging\nFinished: SUCCESS\n',
              changeSet: [
                { commitId: 'abc1234def', msg: 'Fix readiness probe', author: 'Carol Dev', timestamp: 1_700_000_000_000, affectedPaths: ['chart/templates/deployment.yaml'] },
                { commitId: 'def5678abc', msg: 'Raise memory limit', author: 'Bob Dev', timestamp: 1_700_000_100_000, affectedPaths: ['chart/values.yaml'] },
              ],
            },
            { number: 8, result: 'FAILURE', parameters: { ENV: 'prod' }, log: 'Started by user Alice Ops\nError: timed out waiting for the condition\nFinished: FAILURE\n' },
          ],
        },
      ],
    },
    { type: 'freestyle', name: 'nightly', scm: { url: 'https://github.com/acme/nightly.git', branch: 'develop' }, buildDurationMs: 10_000 },
    { type: 'pipeline', name: 'archived', disabled: true },
  ],
};
