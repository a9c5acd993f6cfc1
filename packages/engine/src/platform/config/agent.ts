/**
 * Settings of the agent workflow (spec §8 plus ours). Parsed once by config/index.ts from the environment.
 */
import { z } from 'zod';
import { booleanFlag } from './boolean-flag.ts';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const agentConfigSchema = z
  .object({
    /** Model turns per run before the agent stops with a workflow.error (spec: LLM_MAX_ITERATIONS, 25). */
    LLM_MAX_ITERATIONS: positiveInt(25),
    /** Messages kept in the model's context window; system + first user message and tool pairs are always kept. */
    LLM_CONTEXT_WINDOW_MESSAGES: positiveInt(40),
    /** Retries of a failed model call (rate limit or transient error) before the run fails. */
    LLM_MAX_RETRIES: nonNegativeInt(3),
    /** Base of the exponential backoff in ms (2^n × base, capped at 60 s for rate limits, 30 s otherwise). */
    LLM_RETRY_BASE_DELAY_MS: nonNegativeInt(1000),
    /** Generate a 3–6 word conversation title with the model after the first answer. */
    TITLE_GENERATION_ENABLED: booleanFlag.default(true),
    /** Give up on the title model call after this many ms and use the first words of the message. */
    TITLE_GENERATION_TIMEOUT_MS: positiveInt(10_000),
    /** Send an SSE heartbeat after this many ms without an event (spec: 60 s). */
    SSE_HEARTBEAT_MS: positiveInt(60_000),
    /**
     * Tool call timeout in ms: a call that answers nothing for this long is aborted and the model told so. A tool that
     * reports progress (k8s_rollout_status, verify_change) restarts the clock with each report and ends at its own
     * bound (mcp/create-tool-gateway.ts); the user can always stop the run.
     */
    TOOL_CALL_TIMEOUT_MS: positiveInt(300_000),
    /** Cache of the MCP tool list in ms (annotations are re-read after this). */
    TOOL_LIST_CACHE_MS: nonNegativeInt(60_000),
    /**
     * A running run renews its claim on the conversation every third of this; if its engine process dies, the
     * conversation accepts a new run once this much time has passed.
     */
    RUN_LEASE_MS: positiveInt(30_000),
    /** Agent runs (chats and approval resumptions) one user may have in progress at once; more get 429. */
    MAX_CONCURRENT_RUNS_PER_USER: positiveInt(3),
    /** The bus keeps a run's events this long (see config/bus.ts); after that GET /agent/runs/:id/events says 404. */
    EVENT_BUFFER_TTL_SECONDS: positiveInt(3600),
    /**
     * Tokens (prompt + completion, as the provider reports them) one conversation may spend; when spent, the run stops
     * before the next model call with a budget.exceeded event. Unset: no budget.
     */
    AGENT_TOKEN_BUDGET: z.coerce.number({ error: 'must be a whole number of tokens' }).int().positive().optional(),
    /**
     * Issue 21: after an approved change executes, the engine verifies it (rollout reached its desired state, no
     * crash loops or failed pulls, not reverted by a controller) for at most this many seconds, then says `timed_out`.
     */
    VERIFY_TIMEOUT_SECONDS: positiveInt(120),
    /** How long a change must hold before it is `verified` (a controller reverting it inside is named). Unset: the MCP server's default. */
    VERIFY_HOLD_SECONDS: z.coerce.number().int().min(0).optional(),
  })
  .transform((env) => ({
    maxIterations: env.LLM_MAX_ITERATIONS,
    contextWindowMessages: env.LLM_CONTEXT_WINDOW_MESSAGES,
    maxRetries: env.LLM_MAX_RETRIES,
    retryBaseDelayMs: env.LLM_RETRY_BASE_DELAY_MS,
    titleGeneration: env.TITLE_GENERATION_ENABLED,
    titleTimeoutMs: env.TITLE_GENERATION_TIMEOUT_MS,
    heartbeatMs: env.SSE_HEARTBEAT_MS,
    toolCallTimeoutMs: env.TOOL_CALL_TIMEOUT_MS,
    toolListCacheMs: env.TOOL_LIST_CACHE_MS,
    runLeaseMs: env.RUN_LEASE_MS,
    runEventsTtlSeconds: env.EVENT_BUFFER_TTL_SECONDS,
    maxRunsPerUser: env.MAX_CONCURRENT_RUNS_PER_USER,
    tokenBudget: env.AGENT_TOKEN_BUDGET,
    verifyTimeoutSeconds: env.VERIFY_TIMEOUT_SECONDS,
    verifyHoldSeconds: env.VERIFY_HOLD_SECONDS,
  }));

export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Defaults, for tests and embedding: `agentConfig({ retryBaseDelayMs: 1 })`. */
export function agentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return { ...agentConfigSchema.parse({}), ...overrides };
}
