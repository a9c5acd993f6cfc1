/**
 * What the typed client throws. `SkyfloApiError`: the engine answered and refused (its `detail` is the message).
 * `SkyfloClientError`: no usable answer (engine unreachable, a body this client cannot read, a stream that broke).
 * Each client words these for its own user (the CLI names `skyflo serve`, the UI shows the detail).
 */
export class SkyfloApiError extends Error {
  constructor(
    readonly status: number,
    /** the engine's `detail`, or the status line when the body had none */
    readonly detail: string,
    readonly request: { method: string; path: string },
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  get notAvailable(): boolean {
    return this.status === 404;
  }
}

export type SkyfloClientErrorCode = 'UNREACHABLE' | 'MALFORMED_RESPONSE' | 'STREAM_FAILED';

export class SkyfloClientError extends Error {
  constructor(
    readonly code: SkyfloClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SkyfloClientError';
  }
}

/** A fetch that got no answer, named by its cause ("ECONNREFUSED", "bad port"…) rather than fetch's own "fetch failed". */
export function unreachableError(error: unknown): SkyfloClientError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return new SkyfloClientError('UNREACHABLE', cause?.code ?? cause?.message ?? (error as Error).message);
}
