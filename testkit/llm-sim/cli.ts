import { LlmScriptError } from './script/load-script.ts';
import { startLlmSim } from './start-llm-sim.ts';
import { closeOnSignals, parseSimulatorArgs } from '../shared/simulator-cli.ts';

const usage = 'Usage: llm-sim [--port <n|0>] [--host 127.0.0.1] [--script <file.yaml|json>] [--api-key <key>]';

async function main(): Promise<void> {
  const { values, port } = parseSimulatorArgs('llm-sim', usage, {
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      script: { type: 'string' },
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  try {
    const sim = await startLlmSim({ port, host: values.host, script: values.script, apiKey: values['api-key'] });
    console.log(`llm-sim listening on ${sim.url}`);
    closeOnSignals(() => sim.close());
  } catch (error) {
    // Script and bind errors are the user's to fix: print the message, not a stack.
    console.error(error instanceof LlmScriptError ? error.message : `llm-sim: ${(error as Error).message}`);
    process.exit(1);
  }
}

await main();
