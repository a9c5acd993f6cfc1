/** `teams-sim --app-id ID --app-password P [--port N] [--host H]`: runs the Teams channel simulator and prints its URLs. */
import { parseArgs } from 'node:util';
import { startTeamsSim } from './start-teams-sim.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, 'app-id': { type: 'string', default: '00000000-0000-0000-0000-000000000b07' }, 'app-password': { type: 'string', default: 'teams-sim-app-password' } } });
const sim = await startTeamsSim({ port: Number(values.port), host: values.host, appId: values['app-id'], appPassword: values['app-password'] });
process.stdout.write(`teams-sim listening on ${sim.url} (service URL: ${sim.serviceUrl}, OpenID metadata: ${sim.openIdMetadataUrl}, login URL: ${sim.loginUrl})\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
