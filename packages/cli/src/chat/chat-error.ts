/**
 * A failure `skyflo chat` shows to its user as is: `message` says what went wrong and what to do. `code` is
 * stable for scripts (`--json` prints it); `status` is the HTTP status when the engine refused a request.
 */
export type ChatErrorCode =
  | 'ENGINE_UNREACHABLE'
  | 'NOT_LOGGED_IN'
  | 'LOGIN_FAILED'
  | 'HTTP_ERROR'
  | 'MALFORMED_RESPONSE'
  | 'STREAM_FAILED'
  | 'INVALID_OPTIONS'
  | 'EMBEDDED_ENGINE_FAILED'
  | 'DEVICE_KEY_UNSAFE';

export class ChatError extends Error {
  readonly category = 'user';
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  toJSON() {
    return { code: this.code, message: this.message, ...(this.status !== undefined ? { status: this.status } : {}) };
  }
}
