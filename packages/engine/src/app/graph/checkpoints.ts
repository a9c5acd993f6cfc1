/**
 * Where the graph keeps its checkpoints: LangGraph's checkpoint saver on the engine's own database (PostgresSaver; on
 * PGlite through the pool adapter), implemented by adapters/storage beside the stores of platform/ports/storage.ts.
 * A port of the app floor, not of the platform, because its type is LangGraph's.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { PlatformStorage, Storage } from '../../platform/ports/index.ts';

export interface GraphCheckpoints {
  /** A promise because its library is loaded after start-up (~0.5 s of imports that only the agent needs). */
  checkpointer(): Promise<BaseCheckpointSaver>;
}

/** The agent's stores with the graph's checkpoints on the same database. */
export type AgentStorage = Storage & GraphCheckpoints;

/** Everything adapters/storage builds on one database: the stores of every port and the graph's checkpoints. */
export type EngineStorage = PlatformStorage & GraphCheckpoints;
