/**
 * A small REST client for the handful of kinds the operator manages, on @kubernetes/client-node's KubeConfig
 * (which does the auth: in-cluster token, client certificates, exec plugins). Why not the generated clients: one
 * code path for every kind, replace-with-resourceVersion for conflict-safe writes, and errors that carry the
 * API server's status code and message.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '@skyflo/protocol';

// The object shape is the protocol's (one definition for every client of the Kubernetes API in this repo).
export type { KubeObject, ObjectMeta, OwnerReference } from '@skyflo/protocol';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The kinds the operator reads or writes, with their REST resource names. */
const resources: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  'v1/Event': { plural: 'events', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': { plural: 'validatingwebhookconfigurations', namespaced: false },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': { plural: 'validatingadmissionpolicies', namespaced: false },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': { plural: 'validatingadmissionpolicybindings', namespaced: false },
  'skyflo.ai/v1alpha1/SkyfloPolicy': { plural: 'skyflopolicies', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'skyflo.ai/v1/SkyfloAI': { plural: 'skyfloais', namespaced: true },
};

export class KubeRequestError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, message: string, reason?: string) {
    super(message);
    this.name = 'KubeRequestError';
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeRequestError && error.status === 404;
export const isConflict = (error: unknown) => error instanceof KubeRequestError && error.status === 409;
export const isForbidden = (error: unknown) => error instanceof KubeRequestError && error.status === 403;

/** The REST path of a kind (and of one object when `name` is given). */
export function resourcePath(reference: { apiVersion: string; kind: string; namespace?: string; name?: string }): string {
  const resource = resources[`${reference.apiVersion}/${reference.kind}`];
  if (!resource) throw new Error(`the operator does not manage ${reference.kind} (${reference.apiVersion})`);
  const base = reference.apiVersion.includes('/') ? `/apis/${reference.apiVersion}` : `/api/${reference.apiVersion}`;
  const namespace = resource.namespaced && reference.namespace ? `/namespaces/${encodeURIComponent(reference.namespace)}` : '';
  return `${base}${namespace}/${resource.plural}${reference.name ? `/${encodeURIComponent(reference.name)}` : ''}`;
}

export interface KubeRest {
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, contentType?: string): Promise<T>;
  get<T extends KubeObject>(reference: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject>(reference: { apiVersion: string; kind: string; namespace?: string }, labelSelector?: string): Promise<T[]>;
  create<T extends KubeObject>(object: T): Promise<T>;
  /** PUT with the object's resourceVersion: fails with 409 when someone else wrote in between */
  replace<T extends KubeObject>(object: T): Promise<T>;
  replaceStatus<T extends KubeObject>(object: T): Promise<T>;
  /** deletes in the background; absent is fine */
  delete(reference: ObjectRef): Promise<void>;
}

export function createKubeRest(kubeConfig: KubeConfig): KubeRest {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster; set a current-context');
  const base = new URL(cluster.server);
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });

  async function request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const options: https.RequestOptions = { headers: {} };
    await kubeConfig.applyToHTTPSOptions(options);
    const url = new URL(path, base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const outgoing = client.request(
        url,
        {
          ...options,
          agent,
          method,
          headers: { ...options.headers, accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}) },
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = response.statusCode ?? 0;
            if (status >= 400) reject(new KubeRequestError(status, `${method} ${path}: ${parsed?.message ?? text.slice(0, 300) ?? `HTTP ${status}`}`, parsed?.reason));
            else resolve(parsed as T);
          });
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`${method} ${path}: timed out`)));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  return {
    request: (method, path, body, contentType) => request(method, path, body, contentType),
    async get<T extends KubeObject>(reference: ObjectRef) {
      try {
        return await request<T>('GET', resourcePath(reference));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list<T extends KubeObject>(reference: { apiVersion: string; kind: string; namespace?: string }, labelSelector?: string) {
      const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
      const list = await request<{ items?: T[] }>('GET', `${resourcePath(reference)}${query}`);
      return (list.items ?? []).map((item) => ({ ...item, apiVersion: reference.apiVersion, kind: reference.kind }));
    },
    create: (object) => request('POST', resourcePath({ ...object, namespace: object.metadata.namespace, name: undefined }), object),
    replace: (object) => request('PUT', resourcePath({ ...object, namespace: object.metadata.namespace, name: object.metadata.name }), object),
    replaceStatus: (object) => request('PUT', `${resourcePath({ ...object, namespace: object.metadata.namespace, name: object.metadata.name })}/status`, object),
    async delete(reference) {
      try {
        await request('DELETE', resourcePath(reference), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}
