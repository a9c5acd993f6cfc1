import type { SimUser } from '../cluster-types.ts';
import { badRequest } from '../errors/api-errors.ts';
import { isPlainObject } from '../util/json-values.ts';
import { parseBody } from './request-body.ts';
import type { ResourceRequest } from './request-context.ts';
import { sendJson } from './respond.ts';

function review(context: ResourceRequest, user: SimUser, spec: any) {
  const attributes = spec?.resourceAttributes;
  if (attributes) {
    const decision = context.authorizer.authorize(user, {
      verb: attributes.verb ?? '',
      group: attributes.group ?? '',
      resource: attributes.resource ?? '',
      subresource: attributes.subresource || undefined,
      namespace: attributes.namespace || undefined,
      name: attributes.name || undefined,
    });
    return decision.allowed ? { allowed: true, reason: decision.reason } : { allowed: false };
  }
  if (spec?.nonResourceAttributes) return { allowed: true, reason: 'non-resource URLs are open to authenticated users' };
  throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
}

/** SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview and SelfSubjectReview: answered, never stored. */
export function handleReview(context: ResourceRequest): void {
  const body = parseBody(context.bodyText, 'application/json');
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  const { resource } = context.path;
  const base = { kind: resource.kind, apiVersion: `${resource.group}/${context.path.version}`, metadata: { creationTimestamp: null }, spec: body.spec ?? {} };
  switch (resource.resource) {
    case 'selfsubjectaccessreviews':
      sendJson(context.response, 201, { ...base, status: review(context, context.user, body.spec) });
      return;
    case 'subjectaccessreviews': {
      const user: SimUser = { name: body.spec?.user ?? '', groups: body.spec?.groups ?? [] };
      sendJson(context.response, 201, { ...base, status: review(context, user, body.spec) });
      return;
    }
    case 'selfsubjectrulesreviews': {
      const namespace = body.spec?.namespace ?? 'default';
      const rules = context.authorizer.rulesFor(context.user, namespace);
      sendJson(context.response, 201, {
        ...base,
        status: {
          resourceRules: rules.filter((rule) => !rule.nonResourceURLs).map((rule) => ({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}) })),
          nonResourceRules: [
            { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] },
            ...rules.filter((rule) => rule.nonResourceURLs).map((rule) => ({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs })),
          ],
          incomplete: false,
        },
      });
      return;
    }
    default:
      sendJson(context.response, 201, { ...base, status: { userInfo: { username: context.user.name, groups: context.user.groups } } });
  }
}
