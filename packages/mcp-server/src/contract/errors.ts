/**
 * Tool failures are results, not exceptions: a handler throws ToolInputError (or returns toolError)
 * and the server turns it into an `isError` result the model can act on. Anything else that escapes a
 * handler is reported without its stack (see tools/run-tool.ts).
 */
import type { outcomeUnknownErrorCode } from '@skyflo/protocol';
import type { ToolOutput } from './tool-definition.ts';

export type ToolErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'TIMEOUT'
  | 'MISSING_BINARY'
  | 'UNAVAILABLE'
  | 'READ_ONLY'
  | 'UNSUPPORTED'
  /** an approved, pinned artifact (chart archive) no longer matches its digest */
  | 'ARTIFACT_CHANGED'
  /** an approved, pinned artifact is gone from the cache */
  | 'ARTIFACT_MISSING'
  /** a write whose request was sent but whose answer never came (connection broken, timed out): applied or not, nobody knows */
  | typeof outcomeUnknownErrorCode
  /** an integration answered more bytes than Skyflo reads (@skyflo/connectors/egress) */
  | 'RESPONSE_TOO_LARGE'
  | 'FAILED';

/** A user-facing failure: `message` is shown to the model verbatim, `hint` says what to try next. */
export class ToolInputError extends Error {
  readonly code: ToolErrorCode;
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; code?: ToolErrorCode } = {}) {
    super(message);
    this.name = 'ToolInputError';
    this.code = options.code ?? 'INVALID_INPUT';
    this.hint = options.hint;
  }

  /** Worth retrying unchanged later (the cluster was busy or unreachable, or the object moved on). */
  get isRetryable(): boolean {
    return this.code === 'TIMEOUT' || this.code === 'UNAVAILABLE' || this.code === 'CONFLICT';
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, isRetryable: this.isRetryable };
  }
}

/** An `isError` result: "message\nTry: hint". */
export function toolError(message: string, hint?: string, code: ToolErrorCode = 'FAILED'): ToolOutput {
  return {
    text: hint ? `${message}\nTry: ${hint}` : message,
    isError: true,
    structured: { error: { code, message, ...(hint ? { hint } : {}) } },
  };
}

/** Converts a thrown ToolInputError into its result form. */
export function toolErrorFrom(error: ToolInputError): ToolOutput {
  return toolError(error.message, error.hint, error.code);
}
