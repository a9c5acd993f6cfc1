export { startLlmSim, type LlmSim, type LlmSimOptions } from './start-llm-sim.ts';
export type { LlmSimCall } from './calls.ts';
export { loadLlmScript, LlmScriptError } from './script/load-script.ts';
export type { LlmScript, ParsedLlmScript } from './script/script-schema.ts';
export { estimateTokens } from './token-count.ts';
export { changeScript, setImageScript } from './agent-scripts.ts';
