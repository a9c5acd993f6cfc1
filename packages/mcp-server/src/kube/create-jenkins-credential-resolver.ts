/**
 * Resolves a Jenkins credentials_ref ("ns/secret-name" or "secret-name") to the integration: its Jenkins URL
 * and basic-auth credentials, from a Kubernetes Secret with keys `url`, `username` and `api-token`. The model
 * only ever sees the reference; the secret values stay inside the server.
 *
 * Why the URL comes from the Secret: credentials belong to one Jenkins. When the caller chose the URL, any MCP
 * client holding a valid credentials_ref could send the integration's token to a host of its choosing.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ToolInputError } from '../contract/errors.ts';
import { assertSafeName } from '../exec/flag-guard.ts';
import { KubeApiError } from './kube-api-error.ts';
import { kubeClientsFor } from './kube-clients.ts';
import type { JenkinsCredentialResolver } from '../deps/deps.ts';

export function createJenkinsCredentialResolver(options: { kubeConfig: KubeConfig; defaultNamespace: string }): JenkinsCredentialResolver {
  return {
    async resolve({ credentialsRef }) {
      const parts = credentialsRef.split('/');
      if (parts.length > 2 || !/^[A-Za-z0-9._/-]+$/.test(credentialsRef)) {
        throw new ToolInputError(`Invalid credentials_ref "${credentialsRef}".`, { hint: 'use "namespace/secret-name" or "secret-name"' });
      }
      const [namespace, name] = parts.length === 2 ? parts : [options.defaultNamespace, parts[0]];
      assertSafeName('credentials_ref namespace', namespace);
      assertSafeName('credentials_ref name', name);
      // Why: reading any Secret that happens to have these keys would let a caller use another team's credentials
      // (or a Secret it wrote itself, naming its own URL). Only the integrations namespace is read.
      if (namespace !== options.defaultNamespace) {
        throw new ToolInputError(`credentials_ref "${credentialsRef}" is outside the integrations namespace "${options.defaultNamespace}".`, {
          hint: 'Jenkins credentials are only read from INTEGRATIONS_SECRET_NAMESPACE; configure the integration in Skyflo settings',
          code: 'FORBIDDEN',
        });
      }
      let secret: { data?: Record<string, string> };
      try {
        secret = await kubeClientsFor(options.kubeConfig).http.json({ path: `/api/v1/namespaces/${namespace}/secrets/${name}` });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) {
          throw new ToolInputError(`Jenkins integration is not configured: secret ${namespace}/${name} does not exist.`, { hint: 'configure the Jenkins integration in Skyflo settings', code: 'NOT_FOUND' });
        }
        throw error;
      }
      const decode = (key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
      const username = decode('username');
      const apiToken = decode('api-token');
      if (!username || !apiToken) {
        throw new ToolInputError(`Secret ${namespace}/${name} lacks the "username" or "api-token" key.`, { hint: 'recreate the Jenkins integration', code: 'INVALID_INPUT' });
      }
      const url = decode('url')?.trim();
      if (!url) {
        throw new ToolInputError(`Secret ${namespace}/${name} has no "url" key, so it does not say which Jenkins its credentials belong to; they are not used.`, {
          hint: 'recreate the Jenkins integration (Settings → Integrations), or add the Jenkins base URL to the Secret under the key "url"',
          code: 'INVALID_INPUT',
        });
      }
      return { apiUrl: url, username, apiToken };
    },
  };
}
