import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { evaluate } from '@marcbachmann/cel-js';
import { ApiError, type KubeObject, type ResourceType, type SimCluster, type SimUser } from '../cluster-types.ts';
import { matchesStructuredSelector, type StructuredLabelSelector } from '../selectors/label-selector.ts';
import { isPlainObject } from '../util/json-values.ts';
import type { WebhookCredentials } from './webhook-credentials.ts';

/** One write as admission sees it (the object after defaulting and schema validation, before it is stored). */
export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceType;
  subresource?: string;
  /** the kind of the objects sent, when a subresource has its own (deployments/scale sends autoscaling/v1 Scale) */
  kind?: { group: string; version: string; kind: string };
  namespace?: string;
  name?: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  user: SimUser;
  /** adds a `Warning` header to the answer (a ValidatingAdmissionPolicy binding with validationActions Warn) */
  warn?: (message: string) => void;
}

export type ValidatingAdmission = (attributes: AdmissionAttributes) => Promise<void>;

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function listMatches(list: unknown, value: string): boolean {
  return Array.isArray(list) && (list.includes('*') || list.includes(value));
}

/** rules[].resources: "pods", "pods/status", "*" (resources, not subresources), "*\/*", "pods/*", "*\/scale". */
function resourceMatches(patterns: unknown, resource: string, subresource: string | undefined): boolean {
  if (!Array.isArray(patterns)) return false;
  return patterns.some((pattern: string) => {
    const [patternResource, patternSub] = pattern.split('/');
    const resourceOk = patternResource === '*' || patternResource === resource;
    if (patternSub === undefined) return resourceOk && !subresource;
    return resourceOk && (patternSub === '*' || patternSub === subresource);
  });
}

export function ruleMatches(rule: any, attributes: AdmissionAttributes): boolean {
  const { resource } = attributes;
  if (!listMatches(rule.operations, attributes.operation)) return false;
  if (!listMatches(rule.apiGroups, resource.group) || !listMatches(rule.apiVersions, resource.version)) return false;
  if (!resourceMatches(rule.resources, resource.resource, attributes.subresource)) return false;
  const scope = rule.scope ?? '*';
  return scope === '*' || (scope === 'Namespaced') === resource.namespaced;
}

export function selectorMatches(selector: StructuredLabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  // An absent or empty selector matches everything, as in the real API.
  if (!selector || (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)) return true;
  return matchesStructuredSelector(selector, labels ?? {});
}

export function scrubbed(object: KubeObject | undefined): KubeObject | null {
  return object ? JSON.parse(JSON.stringify(object)) : null;
}

/**
 * The namespace a write is in, as namespaceSelector and a policy's `namespaceObject` see it: the namespace object
 * itself when the write is to a namespace, none for another cluster-scoped object.
 */
export function namespaceObjectOf(cluster: SimCluster, attributes: AdmissionAttributes): KubeObject | undefined {
  if (attributes.resource.group === '' && attributes.resource.resource === 'namespaces') return attributes.object ?? attributes.oldObject;
  if (!attributes.namespace) return undefined;
  return cluster.store.get(cluster.registry.byResource('', 'namespaces')!, undefined, attributes.namespace);
}

/** The AdmissionReview's `request`, which is also what CEL's `request` is in matchConditions and policies. */
export function reviewRequest(attributes: AdmissionAttributes) {
  const { resource } = attributes;
  const kind = attributes.kind ?? { group: resource.group, version: resource.version, kind: resource.kind };
  const gvr = { group: resource.group, version: resource.version, resource: resource.resource };
  const optionsKind = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' }[attributes.operation];
  return {
    uid: randomUUID(),
    kind,
    resource: gvr,
    ...(attributes.subresource ? { subResource: attributes.subresource } : {}),
    requestKind: kind,
    requestResource: gvr,
    ...(attributes.subresource ? { requestSubResource: attributes.subresource } : {}),
    name: attributes.name ?? attributes.object?.metadata.name ?? '',
    ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
    operation: attributes.operation,
    userInfo: { username: attributes.user.name, groups: attributes.user.groups },
    object: attributes.operation === 'DELETE' ? null : scrubbed(attributes.object),
    oldObject: attributes.operation === 'CREATE' ? null : scrubbed(attributes.oldObject),
    dryRun: attributes.dryRun,
    options: { kind: optionsKind, apiVersion: 'meta.k8s.io/v1' },
  };
}

/** POSTs the AdmissionReview to a loopback URL and returns the parsed reply; throws an Error describing a failed call. */
function callWebhook(url: URL, review: unknown, timeoutSeconds: number, authorization: string | undefined): Promise<any> {
  const body = JSON.stringify(review);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body), ...(authorization ? { Authorization: authorization } : {}) },
        timeout: timeoutSeconds * 1000,
        // caBundle is not checked: webhooks here are test servers on loopback with throwaway certificates.
        ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((response.statusCode ?? 0) >= 300) return reject(new Error(`received invalid webhook response: the server responded with status ${response.statusCode}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error('received invalid webhook response: the response is not JSON'));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('context deadline exceeded')));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The ValidatingAdmissionWebhook plugin: every ValidatingWebhookConfiguration stored in the cluster is honoured for
 * the writes its rules, namespaceSelector, objectSelector and matchConditions (CEL) select. Only clientConfig.url on
 * loopback is called (no service references: nothing in a sim resolves a Service to a listening process). With
 * `credentials` (the AdmissionConfiguration's webhook kubeconfig, webhook-credentials.ts) each call carries the
 * Authorization its host is given there, as kube-apiserver sends it; without, calls are anonymous.
 */
export function createValidatingWebhookAdmission(cluster: SimCluster, options: { credentials?: WebhookCredentials } = {}): ValidatingAdmission {
  const configurations = () => cluster.registry.byResource('admissionregistration.k8s.io', 'validatingwebhookconfigurations')!;

  function selected(webhook: any, attributes: AdmissionAttributes): boolean {
    if (!(webhook.rules ?? []).some((rule: any) => ruleMatches(rule, attributes))) return false;
    if (attributes.resource.namespaced || attributes.resource.resource === 'namespaces') {
      if (!selectorMatches(webhook.namespaceSelector, namespaceObjectOf(cluster, attributes)?.metadata.labels)) return false;
    }
    const objectSelector = webhook.objectSelector;
    return selectorMatches(objectSelector, attributes.object?.metadata.labels) || (!!attributes.oldObject && selectorMatches(objectSelector, attributes.oldObject.metadata.labels));
  }

  /** matchConditions: all must hold; a condition that fails to evaluate is an error the failurePolicy judges. */
  function conditionsHold(webhook: any, request: ReturnType<typeof reviewRequest>): boolean {
    for (const condition of webhook.matchConditions ?? []) {
      let result: unknown;
      try {
        result = evaluate(String(condition.expression), { object: request.object, oldObject: request.oldObject, request });
      } catch (error) {
        throw new Error(`failed to evaluate match condition "${condition.name}": ${error instanceof Error ? error.message : String(error)}`);
      }
      if (result !== true) return false;
    }
    return true;
  }

  async function admitOne(webhook: any, attributes: AdmissionAttributes): Promise<void> {
    const name = String(webhook.name);
    const failurePolicy = webhook.failurePolicy ?? 'Fail';
    const request = reviewRequest(attributes);
    const failed = (reason: string): void => {
      // failurePolicy Ignore admits the write when the webhook cannot give an answer; Fail refuses it.
      if (failurePolicy === 'Ignore') return;
      throw new ApiError(500, 'InternalError', `Internal error occurred: failed calling webhook "${name}": ${reason}`);
    };
    let reply: any;
    try {
      if (!conditionsHold(webhook, request)) return;
    } catch (error) {
      return failed((error as Error).message);
    }
    if (attributes.dryRun && !['None', 'NoneOnDryRun'].includes(webhook.sideEffects)) {
      throw new ApiError(400, 'BadRequest', `admission webhook "${name}" does not support dry run`);
    }
    const timeoutSeconds = Number(webhook.timeoutSeconds ?? 10);
    let url: URL;
    try {
      if (!webhook.clientConfig?.url) throw new Error('kube-sim calls webhooks by clientConfig.url only (a service reference cannot be reached in a simulator)');
      url = new URL(webhook.clientConfig.url);
      if (!loopbackHosts.has(url.hostname)) throw new Error(`kube-sim calls webhooks on loopback only, not ${url.hostname}`);
      url.searchParams.set('timeout', `${timeoutSeconds}s`);
    } catch (error) {
      return failed((error as Error).message);
    }
    try {
      reply = await callWebhook(url, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }, timeoutSeconds, options.credentials?.(url));
    } catch (error) {
      return failed(`failed to call webhook: Post "${url}": ${(error as Error).message}`);
    }
    const response = reply?.response;
    if (!isPlainObject(response)) return failed('received invalid webhook response: response is nil');
    if (response.uid !== request.uid) return failed(`received invalid webhook response: expected response.uid="${request.uid}", got "${response.uid ?? ''}"`);
    if (response.allowed === true) return;
    const status = isPlainObject(response.status) ? response.status : {};
    const message = status.message ? `admission webhook "${name}" denied the request: ${status.message}` : `admission webhook "${name}" denied the request without explanation`;
    const code = Number.isInteger(status.code) && status.code >= 400 ? status.code : 403;
    throw new ApiError(code, status.reason || (code === 403 ? 'Forbidden' : 'BadRequest'), message);
  }

  return async (attributes) => {
    // Like the real plugin, webhook configurations never gate writes to webhook configurations themselves.
    if (attributes.resource.group === 'admissionregistration.k8s.io') return;
    const webhooks = cluster.store.list(configurations()).flatMap((configuration) => configuration.webhooks ?? []);
    for (const webhook of webhooks) {
      if (selected(webhook, attributes)) await admitOne(webhook, attributes);
    }
  };
}

/** What the real API server's validation refuses in an admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration. */
export function webhookConfigurationProblems(configuration: KubeObject): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const seen = new Set<string>();
  (Array.isArray(configuration.webhooks) ? configuration.webhooks : []).forEach((webhook: any, index: number) => {
    const at = `webhooks[${index}]`;
    if (!webhook?.name) problems.push({ field: `${at}.name`, message: 'Required value' });
    else if (seen.has(webhook.name)) problems.push({ field: `${at}.name`, message: `Duplicate value: ${JSON.stringify(webhook.name)}` });
    else seen.add(webhook.name);
    if (webhook?.sideEffects === undefined) problems.push({ field: `${at}.sideEffects`, message: 'Required value' });
    else if (!['None', 'NoneOnDryRun'].includes(webhook.sideEffects)) {
      problems.push({ field: `${at}.sideEffects`, message: `Unsupported value: ${JSON.stringify(webhook.sideEffects)}: supported values: "None", "NoneOnDryRun"` });
    }
    if (!Array.isArray(webhook?.admissionReviewVersions) || !webhook.admissionReviewVersions.includes('v1')) {
      problems.push({ field: `${at}.admissionReviewVersions`, message: 'Required value: must specify one of v1, v1beta1' });
    }
    if (!webhook?.clientConfig?.url === !webhook?.clientConfig?.service) {
      problems.push({ field: `${at}.clientConfig`, message: 'Required value: exactly one of url or service is required' });
    }
    if (webhook?.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(webhook.failurePolicy)) {
      problems.push({ field: `${at}.failurePolicy`, message: `Unsupported value: ${JSON.stringify(webhook.failurePolicy)}: supported values: "Fail", "Ignore"` });
    }
    const timeout = webhook?.timeoutSeconds;
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 30)) {
      problems.push({ field: `${at}.timeoutSeconds`, message: `Invalid value: ${timeout}: the timeout value must be between 1 and 30 seconds` });
    }
  });
  return problems;
}
