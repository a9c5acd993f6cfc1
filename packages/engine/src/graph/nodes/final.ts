/**
 * The final node. The `completed` event itself is sent by the run (agent/run-agent.ts) after the graph returns,
 * because it must come after the timeline is flushed and after the title, and also when the graph throws.
 */
import type { AgentStateUpdate, AgentStateValue } from '../state.ts';

export async function finalNode(_state: AgentStateValue): Promise<AgentStateUpdate> {
  return {};
}
