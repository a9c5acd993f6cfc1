/** What other packages (the eval harness) use of `skyflo chat`: the API client, one turn, the embedded engine. */
export { createApiClient, type ApiClient, type Session, type ConversationDetail } from './api-client.ts';
export { ChatError, type ChatErrorCode } from './chat-error.ts';
export { runTurn, exitCodeOf, type Decision, type DecisionPosition, type Turn, type TurnOutcome, type TurnStatus, type RunTurnInput } from './run-turn.ts';
export { startEmbeddedEngine, type EmbeddedEngine, type EmbeddedEngineOptions } from './embedded-engine.ts';
export { llmModelFrom, normalizeGoBooleans } from './benchmark-contract.ts';
export { formatApprovalCard, type AwaitingApproval } from './approval-card.ts';
export { readAgentEvents, type StreamedEvent } from './sse-reader.ts';
