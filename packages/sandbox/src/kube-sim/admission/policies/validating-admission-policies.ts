/**
 * The ValidatingAdmissionPolicy plugin (admissionregistration.k8s.io/v1, GA in Kubernetes 1.30): every binding whose
 * policy selects a write evaluates that policy's CEL over it, once per parameter object its paramRef selects, and the
 * validations that fail act as the binding's validationActions say — Deny refuses the write with the API server's
 * words, Warn adds a `Warning` header (kubectl prints "Warning: …"), Audit is accepted and does nothing (kube-sim keeps
 * no audit log). It runs before the webhooks, as kube-apiserver orders its plugins, and like it never judges writes to
 * the admissionregistration.k8s.io objects themselves.
 *
 * CEL sees what kube-apiserver offers: object, oldObject (null on create / delete), request (the AdmissionReview's
 * request: userInfo, operation, namespace, name, kind, resource, subResource, dryRun), params, namespaceObject and
 * variables. Variables are evaluated once, in order, before the validations; one that fails fails the expressions
 * that read it.
 */
import { ApiError, type KubeObject, type ResourceType, type SimCluster } from '../../cluster-types.ts';
import { matchesStructuredSelector } from '../../selectors/label-selector.ts';
import { namespaceObjectOf, reviewRequest, scrubbed, type AdmissionAttributes, type ValidatingAdmission } from '../validating-webhooks.ts';
import { evaluatePolicyExpression, toCel, type Activation } from './policy-cel.ts';
import { matchesResources } from './policy-matching.ts';

const group = 'admissionregistration.k8s.io';

/** One outcome of a (policy, binding, param): a failed validation or an error the failurePolicy turned into a denial. */
interface Denial {
  policy: string;
  binding: string;
  message: string;
  reason: string;
}

const statusCodes: Record<string, number> = { Forbidden: 403, Unauthorized: 401, RequestEntityTooLarge: 413, Invalid: 422 };

/** A configuration error (a missing parameter, an unknown paramKind): judged by the policy's failurePolicy like an evaluation error. */
class ConfigurationError extends Error {}

/** The Status the API server answers a denied write with: the resource's "is forbidden" wording, the validation's reason. */
function denialError(attributes: AdmissionAttributes, denial: Denial): ApiError {
  const text = `ValidatingAdmissionPolicy '${denial.policy}' with binding '${denial.binding}' denied request: ${denial.message}`;
  const { resource } = attributes;
  const qualified = resource.group ? `${resource.resource}.${resource.group}` : resource.resource;
  const name = attributes.name ?? attributes.object?.metadata.name ?? '';
  const message = name ? `${qualified} "${name}" is forbidden: ${text}` : `${qualified} is forbidden: ${text}`;
  return new ApiError(statusCodes[denial.reason] ?? 422, denial.reason, message, { name, group: resource.group, kind: resource.resource, causes: [{ message: text }] });
}

/** The message of a validation that evaluated to false: messageExpression's string, else message, else the expression. */
function failureMessage(validation: any, activation: Activation): string {
  if (validation.messageExpression) {
    try {
      const value = evaluatePolicyExpression(String(validation.messageExpression), activation);
      // as kube-apiserver: a non-string, blank or multi-line result falls back to `message`
      if (typeof value === 'string' && value.trim() && !value.includes('\n')) return value.trim();
    } catch {
      // an erroring messageExpression falls back too (the API server only logs it)
    }
  }
  if (typeof validation.message === 'string' && validation.message.trim()) return validation.message.trim();
  return `failed expression: ${String(validation.expression).trim()}`;
}

export function createValidatingAdmissionPolicies(cluster: SimCluster): ValidatingAdmission {
  const policies = () => cluster.registry.byResource(group, 'validatingadmissionpolicies')!;
  const bindings = () => cluster.registry.byResource(group, 'validatingadmissionpolicybindings')!;

  /** The parameter objects a binding selects; none is a configuration error when parameterNotFoundAction is Deny. */
  function paramsOf(policy: KubeObject, binding: KubeObject, attributes: AdmissionAttributes): unknown[] {
    const paramKind = policy.spec?.paramKind;
    if (!paramKind) return [null];
    const paramRef = binding.spec?.paramRef;
    if (!paramRef) throw new ConfigurationError(`failed to configure binding: a binding of a policy with paramKind needs a paramRef`);
    const apiVersion = String(paramKind.apiVersion ?? '');
    const resource: ResourceType | undefined = cluster.registry.byKind(apiVersion.includes('/') ? apiVersion.split('/')[0]! : '', String(paramKind.kind ?? ''));
    if (!resource) {
      throw new ConfigurationError(`failed to configure policy: failed to find resource referenced by paramKind: '${paramKind.apiVersion}, Kind=${paramKind.kind}'`);
    }
    let namespace: string | undefined;
    if (resource.namespaced) {
      namespace = paramRef.namespace || attributes.namespace;
      if (!namespace) throw new ConfigurationError('failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    }
    const found = paramRef.name
      ? [cluster.store.get(resource, namespace, String(paramRef.name))].filter((object): object is KubeObject => !!object)
      : cluster.store.list(resource, namespace).filter((object) => matchesStructuredSelector(paramRef.selector ?? {}, object.metadata.labels ?? {}));
    if (found.length === 0) {
      if (paramRef.parameterNotFoundAction === 'Deny') throw new ConfigurationError('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
      return [];
    }
    return found;
  }

  /** The failed validations of one (policy, binding, param); an evaluation error is one, unless failurePolicy is Ignore. */
  function evaluate(policy: KubeObject, binding: KubeObject, param: unknown, attributes: AdmissionAttributes, request: object): Array<{ message: string; reason: string }> {
    const spec = policy.spec ?? {};
    const failurePolicy = spec.failurePolicy ?? 'Fail';
    const onError = (message: string) => (failurePolicy === 'Ignore' ? [] : [{ message, reason: 'Invalid' }]);
    const activation: Activation = {
      object: toCel(attributes.operation === 'DELETE' ? null : scrubbed(attributes.object)),
      oldObject: toCel(attributes.operation === 'CREATE' ? null : scrubbed(attributes.oldObject)),
      request: toCel(request),
      params: toCel(param),
      namespaceObject: toCel(scrubbed(namespaceObjectOf(cluster, attributes)) ?? null),
      variables: {},
    };
    try {
      for (const condition of spec.matchConditions ?? []) {
        if (evaluatePolicyExpression(String(condition.expression), activation) !== true) return [];
      }
    } catch (error) {
      return onError((error as Error).message);
    }
    const variables: Record<string, unknown> = {};
    const failedVariables = new Map<string, string>();
    for (const variable of spec.variables ?? []) {
      try {
        variables[variable.name] = evaluatePolicyExpression(String(variable.expression), { ...activation, variables });
      } catch (error) {
        failedVariables.set(String(variable.name), (error as Error).message);
      }
    }
    activation.variables = variables;
    const failures: Array<{ message: string; reason: string }> = [];
    for (const validation of spec.validations ?? []) {
      const expression = String(validation.expression);
      const brokenVariable = [...failedVariables].find(([name]) => new RegExp(`\\bvariables\\.${name}\\b`).test(expression));
      let result: unknown;
      try {
        if (brokenVariable) throw new Error(brokenVariable[1]);
        result = evaluatePolicyExpression(expression, activation);
      } catch (error) {
        failures.push(...onError((error as Error).message));
        continue;
      }
      if (typeof result !== 'boolean') failures.push(...onError(`expression '${expression}' resulted in error: no such overload`));
      else if (!result) failures.push({ message: failureMessage(validation, activation), reason: validation.reason || 'Invalid' });
    }
    return failures;
  }

  return async (attributes) => {
    if (attributes.resource.group === group) return;
    const byName = new Map(cluster.store.list(policies()).map((policy) => [policy.metadata.name!, policy]));
    const namespaceObject = namespaceObjectOf(cluster, attributes);
    // CEL's request is typed in kube-apiserver: a field the AdmissionReview leaves out reads as its zero value ('')
    const request = { subResource: '', requestSubResource: '', namespace: '', ...reviewRequest(attributes) };
    const denials: Denial[] = [];
    for (const binding of cluster.store.list(bindings())) {
      const policy = byName.get(String(binding.spec?.policyName ?? ''));
      // a binding to a policy that does not exist (yet) is ignored, as the real API server does
      if (!policy) continue;
      if (!matchesResources(policy.spec?.matchConstraints, attributes, namespaceObject, true)) continue;
      if (!matchesResources(binding.spec?.matchResources, attributes, namespaceObject, false)) continue;
      const names = { policy: policy.metadata.name!, binding: binding.metadata.name! };
      let failures: Array<{ message: string; reason: string }> = [];
      try {
        for (const param of paramsOf(policy, binding, attributes)) failures.push(...evaluate(policy, binding, param, attributes, request));
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        failures = (policy.spec?.failurePolicy ?? 'Fail') === 'Ignore' ? [] : [{ message: error.message, reason: 'Invalid' }];
      }
      const actions = new Set<string>(binding.spec?.validationActions ?? []);
      for (const failure of failures) {
        if (actions.has('Deny')) denials.push({ ...names, ...failure });
        if (actions.has('Warn')) attributes.warn?.(`Validation failed for ValidatingAdmissionPolicy '${names.policy}' with binding '${names.binding}': ${failure.message}`);
        // Audit: kube-apiserver writes an audit annotation; kube-sim keeps no audit log, so it has no effect here
      }
    }
    if (denials.length > 0) throw denialError(attributes, denials[0]!);
  };
}
