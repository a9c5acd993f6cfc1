/**
 * What the kubeconfig loader (load-kube-configs.ts) shares with the error mapping (kube-api-error.ts): where a pod's
 * service account is mounted, and the error for "no usable kubeconfig", which names the file(s) looked at and the fix
 * (client-node's own fallback, http://localhost:8080, failed later with "HTTP protocol is not allowed when
 * skipTLSVerify is not set", naming neither).
 */

/** Where Kubernetes mounts a pod's service-account token, CA bundle and namespace. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export class KubeConfigNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigNotFoundError';
  }
}
