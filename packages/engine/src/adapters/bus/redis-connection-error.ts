import { SkyfloError, type ErrorCategory } from '../../platform/errors/skyflo-error.ts';
/** The error the Redis bus raises when Redis cannot be reached or REDIS_URL is unusable. */
export class RedisConnectionError extends SkyfloError {
  readonly code = 'REDIS_UNAVAILABLE';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return true;
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisConnectionError';
  }
}

/** The URL with any password replaced, so it can go into logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
