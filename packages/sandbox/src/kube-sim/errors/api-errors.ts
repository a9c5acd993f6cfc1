import { ApiError, type ResourceType } from '../cluster-types.ts';

/** `deployments.apps`, or `pods` for the core group: how the API server names a resource in messages. */
export function qualifiedResource(resource: Pick<ResourceType, 'group' | 'resource'>): string {
  return resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
}

/** `Deployment.apps`, or `Pod` for the core group. */
export function qualifiedKind(resource: Pick<ResourceType, 'group' | 'kind'>): string {
  return resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
}

export function notFound(resource: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

export function alreadyExists(resource: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

export function conflict(resource: Pick<ResourceType, 'group' | 'resource'>, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: resource.group, kind: resource.resource },
  );
}

export interface FieldCause {
  field: string;
  /** e.g. `Required value`, `Invalid value: "x": must be …` */
  message: string;
  reason?: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden';
}

export function invalid(resource: Pick<ResourceType, 'group' | 'kind'>, name: string, causes: FieldCause[]): ApiError {
  const summary = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const joined = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind(resource)} "${name}" is invalid: ${joined}`, {
    name,
    group: resource.group,
    kind: resource.kind,
    causes: causes.map((cause) => ({ reason: cause.reason ?? 'FieldValueInvalid', message: cause.message, field: cause.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got "${contentType}")`);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** Serialises any thrown value as a meta/v1 Status; unexpected errors never leak a stack trace. */
export function toStatus(error: unknown): { code: number; body: Record<string, unknown> } {
  if (error instanceof ApiError) {
    return {
      code: error.code,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: error.message,
        reason: error.reason,
        ...(error.details ? { details: error.details } : {}),
        code: error.code,
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 500,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', code: 500 },
  };
}
