import { SkyfloError, type ErrorCategory } from '../errors/skyflo-error.ts';
/**
 * Publishing failed in the bus's backend (Redis down). Why a type of its own: a run must tell this apart from a
 * model failure (it is not one) and know whether its own stream still got the event through local delivery.
 */
export class BusPublishError extends SkyfloError {
  readonly code = 'EVENT_BUS_UNAVAILABLE';

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return true;
  }

  constructor(
    message: string,
    readonly deliveredLocally: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusPublishError';
  }
}
