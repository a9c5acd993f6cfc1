/**
 * The clusters a ToolDeps names (issue 22): what the registry kube/cluster-registry.ts builds answers, here below kube/
 * so the ToolDeps bag (deps.ts) owns every type it names.
 */
import type { KubeConfig } from '@kubernetes/client-node';

export interface ClusterEntry {
  /** the context name: the display name everywhere */
  name: string;
  server: string;
  /** from SKYFLO_CLUSTER_LABELS, e.g. "prod" */
  label?: string;
  defaultNamespace: string;
  /** the kubeconfig's current context */
  current: boolean;
  /** "kubeconfig /x/config" or "the pod's service account" */
  source: string;
  /** why it cannot be used (a broken context), naming the file and the context */
  problem?: string;
}

/** How kubectl and helm reach one cluster (see kubectlGlobalArgs and kubeEnv in kube/impersonation.ts). */
export interface KubeInvocation {
  /**
   * One file (--kubeconfig) or several joined by ':' (then passed as KUBECONFIG: kubectl and helm merge them with the
   * same first-wins rule as here); absent in a pod without kubeconfig files (they then use the pod's identity)
   */
  kubeconfigPath?: string;
  /** kubectl --context / helm --kube-context */
  context?: string;
  /**
   * The API server this registry loaded for the context (kubectl --server, helm --kube-apiserver). Why pinned: kubectl
   * and helm re-read the kubeconfig file on every call, so a file edited in place after start (say, `aws eks
   * update-kubeconfig` re-pointing a context) would send them to a server the engine's cluster check never saw, while
   * API-client tools and list_clusters still use the one loaded here. Pinned, every tool reaches the server an approval
   * bound; a changed CA or credential then fails the call instead of reaching somewhere else.
   */
  server?: string;
}

export interface ClusterRegistry {
  clusters(): ClusterEntry[];
  /** the current context's name ('' when the kubeconfig names none) */
  currentName(): string;
  /** problems to log at start that are not one cluster's */
  warnings(): string[];
  /** the entry, or a ToolInputError naming the unknown cluster and the known ones */
  entry(name: string): ClusterEntry;
  /** the KubeConfig whose current context is `name` (cached); throws for an unknown or broken cluster */
  kubeConfigFor(name: string): KubeConfig;
  invocationFor(name: string): KubeInvocation;
}
