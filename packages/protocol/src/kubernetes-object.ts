/**
 * A Kubernetes API object as the clients of our packages read and write it (the operator's REST client, the MCP
 * server's Argo tools): the API server's own JSON shape, typed as far as every caller relies on it. kube-sim keeps its
 * own server-side model (packages/sandbox, which imports nothing of ours: docs/adr/0007).
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}
