import { parseArgs } from 'node:util';
import { LlmScriptError } from './script/load-script.ts';
import { startLlmSim } from './start-llm-sim.ts';
import { parsePort } from '../shared/parse-port.ts';

const usage = 'Usage: llm-sim [--port <n|0>] [--host 127.0.0.1] [--script <file.yaml|json>] [--api-key <key>]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        script: { type: 'string' },
        'api-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`llm-sim: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = parsePort(values.port);
  if (typeof port !== 'number') {
    console.error(`llm-sim: ${port.error}.\n${usage}`);
    process.exit(2);
  }
  try {
    const sim = await startLlmSim({ port, host: values.host, script: values.script, apiKey: values['api-key'] });
    console.log(`llm-sim listening on ${sim.url}`);
    const stop = () => void sim.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    // Script and bind errors are the user's to fix: print the message, not a stack.
    console.error(error instanceof LlmScriptError ? error.message : `llm-sim: ${(error as Error).message}`);
    process.exit(1);
  }
}

await main();
