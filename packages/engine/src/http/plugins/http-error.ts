import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
/** An error that becomes a 4xx answer `{detail}` as is; anything else is a 500 with details hidden. */
export class HttpError extends SkyfloError {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code = 'HTTP_ERROR',
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'Not found') => new HttpError(404, what, 'NOT_FOUND');
