/**
 * The production JenkinsCredentialResolver: reads the integration Secret ("namespace/name" with keys
 * `username` and `api-token`) through the Kubernetes API. The values go into the Authorization header
 * only; they are never logged or returned to the model.
 */
import { ToolInputError } from '../../errors.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import { kubeClientsFor } from '../../kube/kube-clients.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { JenkinsCredentialResolver } from '../deps.ts';

export interface SecretCredentialResolverOptions {
  kubeConfig: KubeConfig;
  /**
   * Namespaces Secrets may be read from (normally just settings.integrationsNamespace). Why: api_url and
   * credentials_ref arrive as tool arguments, so without this a caller could send any Secret that happens
   * to have username/api-token keys to a URL of its choosing.
   */
  allowedNamespaces: string[];
}

export function createSecretCredentialResolver(options: SecretCredentialResolverOptions): JenkinsCredentialResolver {
  return {
    async resolve({ apiUrl, credentialsRef }) {
      const [namespace, name] = credentialsRef.split('/');
      if (!options.allowedNamespaces.includes(namespace)) {
        throw new ToolInputError(`credentials_ref ${credentialsRef} is outside the integrations namespace (${options.allowedNamespaces.join(', ')}).`, {
          hint: 'use the Jenkins integration configured in Skyflo; its Secret lives in the integrations namespace',
          code: 'FORBIDDEN',
        });
      }
      let secret: { data?: Record<string, string> };
      try {
        secret = await kubeClientsFor(options.kubeConfig).http.json({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}` });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) {
          throw new ToolInputError(`The Jenkins credentials Secret ${credentialsRef} does not exist.`, { hint: 're-save the Jenkins integration in Settings → Integrations', code: 'NOT_FOUND' });
        }
        if (error instanceof KubeApiError && error.status === 403) {
          throw new ToolInputError(`The MCP server may not read the Secret ${credentialsRef} (RBAC forbidden).`, { hint: 'grant it get on secrets in that namespace', code: 'FORBIDDEN' });
        }
        throw error;
      }
      const decode = (key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
      const username = decode('username');
      const apiToken = decode('api-token');
      if (!username || !apiToken) {
        throw new ToolInputError(`The Secret ${credentialsRef} has no "username" and "api-token" keys.`, { hint: 're-save the Jenkins integration credentials', code: 'NOT_FOUND' });
      }
      return { apiUrl, username, apiToken };
    },
  };
}
