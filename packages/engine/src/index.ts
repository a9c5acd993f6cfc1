export { createEngine, type Engine, type EngineOverrides } from './create-engine.ts';
export { runServer, type RunServerOptions } from './main.ts';
export { loadConfig, ConfigError, type Config, type ConfigIssue, type Environment } from './platform/config/index.ts';
export { buildApp, API_PREFIX, type AppDeps } from './http/app.ts';
export type * from './platform/ports/index.ts';
export type { AgentStorage, EngineStorage, GraphCheckpoints } from './app/graph/checkpoints.ts';
