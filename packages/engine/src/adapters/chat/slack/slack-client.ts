import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';
import { readCappedJson, ResponseTooLargeError, smallAnswerMaxBytes } from '../../../app/integrations/integration-egress.ts';

/** The few Slack Web API calls Skyflo makes (auth.test, chat.postMessage, chat.update, users.info) and response_url replies. */
export interface SlackClient {
  /** who the bot token belongs to (auth.test): the workspace and the bot user */
  whoAmI(): Promise<{ team: string; user: string }>;
  postMessage(input: { channel: string; text: string; blocks: unknown[] }): Promise<{ channel: string; ts: string }>;
  update(input: { channel: string; ts: string; text: string; blocks: unknown[] }): Promise<void>;
  /** the user's e-mail address (users:read.email), or undefined when Slack does not know them */
  emailOf(userId: string): Promise<string | undefined>;
  /** an ephemeral reply to the clicker only */
  respond(responseUrl: string, text: string): Promise<void>;
}

export class SlackApiError extends SkyfloError {
  readonly code = 'SLACK_API_ERROR';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return true;
  }
  constructor(
    readonly method: string,
    readonly slackError: string,
  ) {
    super(`Slack ${method} failed: ${slackError}`);
  }
}

/** `fetch`: the pinned fetch of integration-egress.ts, so the API URL and response_url connect only to allowed addresses. */
export function createSlackClient(options: { apiUrl: string; botToken: string; timeoutMs?: number; fetch: typeof fetch }): SlackClient {
  const call = async (method: string, body: Record<string, unknown>) => {
    const response = await options.fetch(`${options.apiUrl.replace(/\/$/, '')}/${method}`, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${options.botToken}` },
      body: JSON.stringify(body),
    });
    const answer = ((await readCappedJson(response, { maxBytes: smallAnswerMaxBytes, what: 'Slack' }).catch((error: unknown) => {
      if (error instanceof ResponseTooLargeError) throw new SlackApiError(method, error.message);
      return undefined;
    })) ?? { ok: false, error: `HTTP ${response.status}` }) as Record<string, unknown>;
    if (answer['ok'] !== true) throw new SlackApiError(method, String(answer['error'] ?? `HTTP ${response.status}`));
    return answer;
  };
  return {
    async whoAmI() {
      const answer = await call('auth.test', {});
      return { team: String(answer['team'] ?? ''), user: String(answer['user'] ?? '') };
    },
    async postMessage(input) {
      const answer = await call('chat.postMessage', input);
      return { channel: String(answer['channel']), ts: String(answer['ts']) };
    },
    async update(input) {
      await call('chat.update', input);
    },
    async emailOf(userId) {
      try {
        const answer = await call('users.info', { user: userId });
        const email = (answer['user'] as { profile?: { email?: unknown } } | undefined)?.profile?.email;
        return typeof email === 'string' ? email.toLowerCase() : undefined;
      } catch (error) {
        if (error instanceof SlackApiError && error.slackError === 'user_not_found') return undefined;
        throw error;
      }
    },
    async respond(responseUrl, text) {
      const response = await options.fetch(responseUrl, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000), headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }) });
      // the answer is not read at all, whatever its size
      await response.body?.cancel().catch(() => undefined);
    },
  };
}
