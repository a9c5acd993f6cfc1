/** `slack-sim [--port N] [--host H] [--bot-token T]`: runs the Slack simulator and prints its API URL. */
import { parseArgs } from 'node:util';
import { startSlackSim } from './start-slack-sim.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'bot-token': { type: 'string' } } });
const sim = await startSlackSim({ port: Number(values.port), host: values.host, ...(values['bot-token'] ? { botToken: values['bot-token'] } : {}) });
process.stdout.write(`slack-sim listening on ${sim.url} (Web API: ${sim.apiUrl})\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
