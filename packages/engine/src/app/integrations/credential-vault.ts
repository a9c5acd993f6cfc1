/**
 * Where an integration's credentials live (INTEGRATIONS_BACKEND): sealed in the engine's database, or in a Kubernetes
 * Secret the MCP server reads itself. The integration row keeps what `put` returns: the sealed value, or `k8s:ns/name`.
 *
 * Credentials are bound to the URL they were saved with: the database seal has it in its associated data, the Secret
 * names it (`url`). `open` for any other URL fails, so a stored token is only ever sent where the admin sent it.
 */
import { parseJenkinsUrl } from '@skyflo/connectors/jenkins';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';

export interface JenkinsCredentials {
  username: string;
  api_token: string;
}

export interface CredentialVault {
  readonly backend: 'database' | 'kubernetes';
  /** stores (or replaces) the credentials of integration `id` for the Jenkins at `apiUrl` */
  put(id: string, apiUrl: string, credentials: JenkinsCredentials): Promise<string>;
  /** the credentials, only when they were saved for `apiUrl` (throws otherwise) */
  open(id: string, apiUrl: string, stored: string): Promise<JenkinsCredentials>;
  remove(id: string, stored: string): Promise<void>;
  /** the credentials_ref a tool call names; with the database backend the credentials travel beside the call */
  reference(id: string, stored: string): string;
}

/** The one spelling of a Jenkins URL (trailing slash, no query or fragment), as the Jenkins client uses it. */
export function normaliseJenkinsUrl(apiUrl: string): string {
  return parseJenkinsUrl(apiUrl).href;
}

const sealContext = (id: string, apiUrl: string) => `integration:${id}:url:${normaliseJenkinsUrl(apiUrl)}`;
/** Seals made before credentials were bound to their URL; every URL change re-sealed them, so the row's URL is theirs. */
const legacySealContext = (id: string) => `integration:${id}`;

export function createDatabaseVault(secretBox: SecretBox): CredentialVault {
  return {
    backend: 'database',
    put: async (id, apiUrl, credentials) => secretBox.seal(JSON.stringify(credentials), sealContext(id, apiUrl)),
    open: async (id, apiUrl, stored) => {
      let plaintext: string;
      try {
        plaintext = secretBox.open(stored, sealContext(id, apiUrl));
      } catch (error) {
        try {
          plaintext = secretBox.open(stored, legacySealContext(id));
        } catch {
          throw error;
        }
      }
      return JSON.parse(plaintext) as JenkinsCredentials;
    },
    remove: async () => undefined,
    reference: (id) => `skyflo/${id}`,
  };
}

/** The few Secret operations the kubernetes vault needs (the engine's own cluster access). */
export interface SecretClient {
  apply(namespace: string, name: string, stringData: Record<string, string>, labels: Record<string, string>): Promise<void>;
  read(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  remove(namespace: string, name: string): Promise<void>;
}

const kubernetesPrefix = 'k8s:';

export function createKubernetesVault(options: { namespace: string; secrets: SecretClient }): CredentialVault {
  const parse = (stored: string) => {
    const [namespace, name] = stored.slice(kubernetesPrefix.length).split('/');
    return { namespace: namespace!, name: name! };
  };
  return {
    backend: 'kubernetes',
    async put(id, apiUrl, credentials) {
      const name = `skyflo-jenkins-${id}`;
      // `url` names the Jenkins these credentials belong to: the MCP server sends them nowhere else.
      await options.secrets.apply(options.namespace, name, { url: apiUrl, username: credentials.username, 'api-token': credentials.api_token }, {
        'app.kubernetes.io/managed-by': 'skyflo',
        'skyflo.ai/integration': id,
      });
      return `${kubernetesPrefix}${options.namespace}/${name}`;
    },
    async open(_id, apiUrl, stored) {
      const { namespace, name } = parse(stored);
      const data = await options.secrets.read(namespace, name);
      if (!data?.['username'] || !data['api-token']) throw new Error(`Secret ${namespace}/${name} is missing or lacks username/api-token`);
      if (!data['url'] || normaliseJenkinsUrl(data['url']) !== normaliseJenkinsUrl(apiUrl)) throw new Error(`Secret ${namespace}/${name} holds credentials for another Jenkins URL`);
      return { username: data['username'], api_token: data['api-token'] };
    },
    async remove(_id, stored) {
      const { namespace, name } = parse(stored);
      await options.secrets.remove(namespace, name);
    },
    reference: (_id, stored) => {
      const { namespace, name } = parse(stored);
      return `${namespace}/${name}`;
    },
  };
}
