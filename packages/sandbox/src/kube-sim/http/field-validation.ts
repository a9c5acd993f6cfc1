import { ApiError, type KubeObject } from '../cluster-types.ts';
import { badRequest, invalid } from '../errors/api-errors.ts';
import { applyUnknownPaths, duplicateFieldProblems, messageFor, pruneUnknownFields, strictDecodingProblems, unknownFieldProblems } from '../resources/field-schema.ts';
import type { ResourceRequest } from './request-context.ts';

/**
 * Server-side field validation (`?fieldValidation=`), as the v1.32 API server does it for built-in kinds:
 * - Strict (what kubectl sends by default) rejects unknown and duplicate fields with a 400 `strict decoding error`;
 * - Warn (the default when the parameter is absent) accepts, drops unknown fields and sends one `Warning` header each;
 * - Ignore drops unknown fields silently.
 * Server-side apply rejects unknown fields whatever the directive (`field not declared in schema`).
 * Custom resources: the fields their CRD's schema does not declare are pruned (crds/crd-pruning.ts) and reported the
 * same way (settleCustomFields).
 */
export type FieldValidationDirective = 'Strict' | 'Warn' | 'Ignore';

const optionsKind: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions' };

export function fieldValidationDirective(context: ResourceRequest): FieldValidationDirective {
  const value = context.url.searchParams.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw invalid({ group: 'meta.k8s.io', kind: optionsKind[context.request.method ?? 'POST'] ?? 'CreateOptions' }, '', [
    { field: 'fieldValidation', message: `Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`, reason: 'FieldValueNotSupported' },
  ]);
}

/** RFC 7234 warn-text, as the API server writes it: `299 - "unknown field \"spec.foo\""`. */
function addWarnings(context: ResourceRequest, messages: string[]): void {
  if (messages.length === 0) return;
  const existing = context.response.getHeader('Warning');
  const previous = Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)];
  context.response.setHeader('Warning', [...previous, ...messages.map((message) => `299 - ${JSON.stringify(message)}`)]);
}

function settle(context: ResourceRequest, directive: FieldValidationDirective, problems: string[], strictError: () => ApiError): void {
  if (problems.length === 0 || directive === 'Ignore') return;
  if (directive === 'Strict') throw strictError();
  addWarnings(context, problems);
}

const isJson = (context: ResourceRequest) => !/yaml/i.test(String(context.request.headers['content-type'] ?? ''));

/** A create or update body: unknown and duplicate fields, in the order the decoder meets them. */
export function checkDecodedFields(context: ResourceRequest, object: KubeObject): void {
  const directive = fieldValidationDirective(context);
  const typeName = messageFor(context.path.resource);
  if (!typeName) return;
  const problems = isJson(context) ? strictDecodingProblems(typeName, context.bodyText) : unknownFieldProblems(typeName, object);
  pruneUnknownFields(typeName, object);
  const { kind } = context.path.resource;
  settle(context, directive, problems, () => badRequest(`${kind} in version "${context.path.version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(', ')}`));
}

/** A JSON, merge or strategic-merge patch: duplicates in the patch first, then unknown fields of the result. */
export function checkPatchedFields(context: ResourceRequest, patched: KubeObject, patchText: string | undefined): void {
  const directive = fieldValidationDirective(context);
  const typeName = messageFor(context.path.resource);
  if (!typeName) return;
  const problems = [...(patchText !== undefined ? duplicateFieldProblems(patchText) : []), ...unknownFieldProblems(typeName, patched)];
  pruneUnknownFields(typeName, patched);
  settle(context, directive, problems, () => badRequest(`strict decoding error: ${problems.join(', ')}`));
}

/** Server-side apply: the applied configuration must fit the schema, or the typed patch cannot be built (a 500, as on a real server). */
export function checkAppliedFields(context: ResourceRequest, applied: KubeObject): void {
  fieldValidationDirective(context);
  const typeName = messageFor(context.path.resource);
  if (!typeName) return;
  const paths = applyUnknownPaths(typeName, applied);
  if (paths.length === 0) return;
  const errors = paths.map((path) => `${path}: field not declared in schema`);
  const { group, version, kind } = context.path.resource;
  const detail = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((error) => `  ${error}`)].join('\n');
  throw new ApiError(500, '', `failed to create typed patch object (${context.path.namespace ?? ''}/${applied.metadata.name}; ${group}/${version}, Kind=${kind}): ${detail}`);
}

/**
 * A custom resource's pruned fields (crds/crd-pruning.ts), judged by the request's directive as the API server does:
 * Strict refuses the write, Warn answers a `Warning` header per field, Ignore says nothing.
 */
export function settleCustomFields(context: ResourceRequest, pruned: string[]): void {
  const { kind } = context.path.resource;
  const problems = pruned.map((path) => `unknown field "${path}"`);
  settle(context, fieldValidationDirective(context), problems, () => badRequest(`${kind} in version "${context.path.version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(', ')}`));
}
