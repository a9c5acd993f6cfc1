import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { classifyError, isSkyfloError, type ErrorCategory } from '../../platform/errors/skyflo-error.ts';
import { databaseRetryAfterSeconds, isDatabaseUnavailable, unavailableReason } from '../../platform/storage-faults/database-unavailable.ts';
import type { DiskWatch } from '../../platform/storage-faults/disk-full.ts';

interface ErrorWithStatus {
  statusCode?: number;
  code?: string;
  message: string;
}

/** Rewrites Fastify's own messages into something a person can act on. */
function describeClientError(error: ErrorWithStatus, bodyLimit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Request body is not valid JSON; check quoting and commas, or send Content-Type: application/json only with JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty but Content-Type is application/json; send a JSON object';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than the limit of ${bodyLimit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Content-Type; send application/json';
    default:
      if (error instanceof SyntaxError) return `Request body is not valid JSON: ${error.message}`;
      return error.message;
  }
}

/**
 * Engine errors (errors/skyflo-error.ts) that carry no HTTP status of their own but mean a client mistake, by code.
 * The rest answer their `statusCode`, or 500.
 */
const clientErrorStatusByCode: Readonly<Record<string, number>> = {
  // a conversation id that is in use or belonged to a deleted conversation (POST /conversations)
  CONVERSATION_ID_TAKEN: 409,
};

function statusOf(error: FastifyError | ErrorWithStatus): number {
  if (typeof error.statusCode === 'number' && error.statusCode >= 400) return error.statusCode;
  if (isSkyfloError(error)) return clientErrorStatusByCode[error.code] ?? 500;
  return 500;
}

/**
 * One error handler for the whole API: 4xx answers `{detail}` with a message meant for the caller; 5xx answers
 * a generic message and logs the real error, so stack traces and SQL never reach users.
 */
export function registerErrorHandler(
  app: FastifyInstance,
  options: {
    bodyLimit: number;
    /** names the database in a 503 (Storage.label) */
    database?: string;
    disk?: Pick<DiskWatch, 'classify'>;
    /** whether the caller may read where and why the database fails (signed in); without it, nobody does */
    showsReasons?: (request: FastifyRequest) => Promise<boolean>;
  },
): void {
  /** what every answer of this handler adds to its `detail` (issue 80 item 4): who can act on it, and whether to retry */
  const kindOf = (category: ErrorCategory, retryable: boolean) => ({ category, retryable });
  app.setErrorHandler(async (error: FastifyError | ErrorWithStatus, request, reply) => {
    // Where and why (the data dir's path, the database's host) only to a signed-in caller, as /health does: a public
    // route (a login, a registration) is anyone's to call. The log has both either way.
    const signedIn = async () => Boolean(request.user) || ((await options.showsReasons?.(request).catch(() => false)) ?? false);
    // a full disk under the embedded database: say so (what is full, where) rather than a bare 500
    const full = await options.disk?.classify(error);
    if (full) {
      request.log.error({ err: error, category: 'operational', retryable: false }, full.message);
      return reply.code(full.statusCode).send({ detail: (await signedIn()) ? full.message : 'The disk holding the database is full; the engine log says where.', code: full.code, ...kindOf('operational', false) });
    }
    // The database is down (restarting, failing over): not a bug, and it passes. Say so, and when to come back.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error, category: 'operational', retryable: true }, 'request failed: the database is unavailable');
      const which = (await signedIn()) ? `${options.database ? ` (${options.database})` : ''} is unavailable: ${unavailableReason(error)}` : ' is unavailable';
      return reply
        .code(503)
        .header('retry-after', String(databaseRetryAfterSeconds))
        .send({ detail: `The database${which}. Retry in ${databaseRetryAfterSeconds} seconds; GET /api/v1/health shows when it is back.`, code: 'STORAGE_UNAVAILABLE', ...kindOf('operational', true) });
    }
    const statusCode = statusOf(error);
    // a refusal is the caller's by the status answered (the code table above included); a failure says itself
    const { category, retryable } = statusCode < 500 ? classifyError({ statusCode }) : isSkyfloError(error) ? classifyError(error) : { category: 'unexpected' as const, retryable: false };
    // no `code` here: a 4xx answer's code could tell apart what its words deliberately do not (a deactivated
    // account and a wrong password); `category` and `retryable` follow from the status alone for those
    if (statusCode >= 500) {
      // an outage is a warning an operator acts on; a bug is an error someone must read
      request.log[category === 'unexpected' ? 'error' : 'warn']({ err: error, category, retryable }, 'request failed');
      return reply.code(statusCode).send({ detail: category === 'unexpected' ? 'Internal server error; the details are in the engine log' : 'A service the engine depends on failed; the details are in the engine log', ...kindOf(category, retryable) });
    }
    // a route may take larger bodies than the app (the Alertmanager webhook): the limit named is the one that applied
    const routeLimit = (request.routeOptions as { bodyLimit?: number } | undefined)?.bodyLimit;
    return reply.code(statusCode).send({ detail: describeClientError(error, routeLimit ?? options.bodyLimit), ...kindOf(category, retryable) });
  });
}
