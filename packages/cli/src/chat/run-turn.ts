/**
 * One user message, start to finish: POST /agent/chat, follow the stream, and whenever the run pauses at
 * `tool.awaiting_approval` ask `decide` and resume with POST /agent/approvals/{call_id} (echoing `args_hash`,
 * so the decision is bound to exactly the call that was shown) until a run completes without waiting.
 * `stop()` asks the engine to stop the current run (POST /agent/stop); its stream then ends with
 * `completed` status `stopped`. Used by the terminal client and the eval harness alike.
 */
import type { AgentEvent, AgentEventOf } from '@skyflo/protocol';
import type { ApiClient } from './api-client.ts';
import type { AwaitingApproval } from './approval-card.ts';
import { ChatError } from './chat-error.ts';

export type Decision =
  | { approve: true; reason?: string; automatic?: boolean }
  | { approve: false; reason?: string }
  /** decide later (in the UI or another client): the call stays pending */
  | { leave: true; why: string };

export type TurnStatus = 'completed' | 'stopped' | 'error' | 'awaiting_approval';

export interface TurnOutcome {
  status: TurnStatus;
  conversationId?: string;
  /** the pending call when status is awaiting_approval */
  pending?: AwaitingApproval;
  /** why the turn failed (workflow.error, run error, or a client-side failure) */
  error?: string;
  approved: number;
  denied: number;
}

export interface RunTurnInput {
  client: ApiClient;
  message: string;
  conversationId?: string;
  onEvent(event: AgentEvent): void;
  decide(approval: AwaitingApproval): Promise<Decision>;
  /** aborts the HTTP streams (the run itself goes on unless stopped) */
  signal?: AbortSignal;
}

export interface Turn {
  done: Promise<TurnOutcome>;
  /** POST /agent/stop for the current run; resolves when the request is sent (the stream ends by itself) */
  stop(): Promise<void>;
  readonly stopping: boolean;
}

export function runTurn(input: RunTurnInput): Turn {
  let conversationId = input.conversationId;
  let runId: string | undefined;
  let running = false;
  let stopRequested = false;
  let stopSent: string | undefined;

  const sendStop = async () => {
    if (!conversationId || !runId || !running || stopSent === runId) return;
    stopSent = runId;
    await input.client.stop({ conversationId, runId }).catch(() => undefined);
  };

  async function follow(stream: AsyncGenerator<{ event: AgentEvent }>): Promise<{ completed?: AgentEventOf<'completed'>; awaiting?: AwaitingApproval; error?: string }> {
    let completed: AgentEventOf<'completed'> | undefined;
    let awaiting: AwaitingApproval | undefined;
    let error: string | undefined;
    for await (const { event } of stream) {
      if (event.type === 'ready') {
        runId = event.run_id;
        conversationId = event.conversation_id;
        running = true;
        if (stopRequested) void sendStop();
      }
      if (event.type === 'tool.awaiting_approval') awaiting = event;
      if (event.type === 'workflow.error' || event.type === 'error') error = event.error;
      if (event.type === 'completed') {
        completed = event;
        running = false;
      }
      input.onEvent(event);
    }
    running = false;
    return { ...(completed ? { completed } : {}), ...(awaiting ? { awaiting } : {}), ...(error ? { error } : {}) };
  }

  const done = (async (): Promise<TurnOutcome> => {
    let approved = 0;
    let denied = 0;
    let stream = await input.client.chat({ message: input.message, ...(conversationId ? { conversationId } : {}), ...(input.signal ? { signal: input.signal } : {}) });
    for (;;) {
      const { completed, awaiting, error } = await follow(stream);
      const base = { ...(conversationId ? { conversationId } : {}), approved, denied };
      if (!completed) {
        if (input.signal?.aborted) return { ...base, status: 'stopped', error: 'the client stopped following the run' };
        throw new ChatError('STREAM_FAILED', 'The engine closed the stream before the run completed; the run may still be going (see the conversation in the UI).');
      }
      if (completed.status !== 'completed' || !completed.awaiting_approval) {
        const failure = completed.error ?? error;
        return { ...base, status: completed.status, ...(failure ? { error: failure } : {}) };
      }
      if (!awaiting) return { ...base, status: 'awaiting_approval', error: 'the run waits for an approval this client did not see' };
      if (stopRequested) return { ...base, status: 'awaiting_approval', pending: awaiting, error: 'stopped before deciding; the call is still pending' };
      const decision = await input.decide(awaiting);
      if ('leave' in decision) return { ...base, status: 'awaiting_approval', pending: awaiting, error: decision.why };
      if (decision.approve) approved++;
      else denied++;
      stream = await input.client.decide({
        callId: awaiting.call_id,
        decision: {
          approve: decision.approve,
          conversation_id: awaiting.context.conversation_id,
          args_hash: awaiting.args_hash,
          ...(decision.reason ? { reason: decision.reason } : {}),
          ...(decision.approve && decision.automatic ? { automatic: true } : {}),
        },
        ...(input.signal ? { signal: input.signal } : {}),
      });
    }
  })();

  return {
    done,
    get stopping() {
      return stopRequested;
    },
    async stop() {
      stopRequested = true;
      await sendStop();
    },
  };
}

/** The exit status of a one-shot run: 0 only when the run completed (see `skyflo chat --help`). */
export function exitCodeOf(outcome: TurnOutcome): 0 | 1 {
  return outcome.status === 'completed' ? 0 : 1;
}
