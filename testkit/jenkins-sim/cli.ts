import { JenkinsScenarioError } from './scenario/load-scenario.ts';
import { startJenkinsSim } from './start-jenkins-sim.ts';
import { closeOnSignals, parseSimulatorArgs } from '../shared/simulator-cli.ts';

const usage =
  'Usage: jenkins-sim [--port <n|0>] [--host 127.0.0.1] [--user <id> --token <api-token>] [--scenario <file.yaml|json>]\n' +
  '                   [--build-duration-ms <n>] [--no-crumb] [--anonymous-read]';

async function main(): Promise<void> {
  const { values, port } = parseSimulatorArgs('jenkins-sim', usage, {
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      user: { type: 'string' },
      token: { type: 'string' },
      scenario: { type: 'string' },
      'build-duration-ms': { type: 'string' },
      'no-crumb': { type: 'boolean', default: false },
      'anonymous-read': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const buildDurationMs = values['build-duration-ms'] === undefined ? undefined : Number(values['build-duration-ms']);
  if (buildDurationMs !== undefined && !(buildDurationMs >= 0)) {
    console.error(`jenkins-sim: --build-duration-ms must be a number of milliseconds >= 0, got "${values['build-duration-ms']}".`);
    process.exit(2);
  }
  try {
    const sim = await startJenkinsSim({
      port,
      host: values.host,
      user: values.user,
      token: values.token,
      scenario: values.scenario,
      buildDurationMs,
      requireCrumb: !values['no-crumb'],
      anonymousRead: values['anonymous-read'],
    });
    console.log(`jenkins-sim listening on ${sim.url}`);
    console.log(`credentials: ${sim.user} / ${sim.token}`);
    closeOnSignals(() => sim.close());
  } catch (error) {
    console.error(error instanceof JenkinsScenarioError ? error.message : `jenkins-sim: ${(error as Error).message}`);
    process.exit(1);
  }
}

await main();
