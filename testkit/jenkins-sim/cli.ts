import { parseArgs } from 'node:util';
import { JenkinsScenarioError } from './scenario/load-scenario.ts';
import { startJenkinsSim } from './start-jenkins-sim.ts';
import { parsePort } from '../shared/parse-port.ts';

const usage =
  'Usage: jenkins-sim [--port <n|0>] [--host 127.0.0.1] [--user <id> --token <api-token>] [--scenario <file.yaml|json>]\n' +
  '                   [--build-duration-ms <n>] [--no-crumb] [--anonymous-read]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (error) {
    console.error(`jenkins-sim: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = parsePort(values.port);
  if (typeof port !== 'number') {
    console.error(`jenkins-sim: ${port.error}.\n${usage}`);
    process.exit(2);
  }
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
    const stop = () => void sim.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(error instanceof JenkinsScenarioError ? error.message : `jenkins-sim: ${(error as Error).message}`);
    process.exit(1);
  }
}

await main();
