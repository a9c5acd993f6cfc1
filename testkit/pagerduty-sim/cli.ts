/** `pagerduty-sim [--port N] [--host H] [--api-token T] [--user EMAIL]…`: runs the PagerDuty simulator and prints its REST API URL. */
import { parseArgs } from 'node:util';
import { startPagerDutySim } from './start-pagerduty-sim.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'api-token': { type: 'string' }, user: { type: 'string', multiple: true } } });
const sim = await startPagerDutySim({
  port: Number(values.port),
  host: values.host,
  ...(values['api-token'] ? { apiToken: values['api-token'] } : {}),
  ...(values.user?.length ? { users: values.user } : {}),
  onNote: (note) => process.stdout.write(`note on incident ${note.incidentId} from ${note.from}:\n${note.content}\n\n`),
});
process.stdout.write(`pagerduty-sim listening on ${sim.url} (REST API: ${sim.apiUrl}; set PAGERDUTY_API_URL to it)\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
