/**
 * What the API server presents to an admission webhook, read the way kube-apiserver reads it: its
 * `--admission-control-config-file` (an AdmissionConfiguration) names, for the ValidatingAdmissionWebhook plugin, a
 * WebhookAdmissionConfiguration whose `kubeConfigFile` holds one kubeconfig user per webhook host. The user whose
 * name matches the webhook's host (exactly, then `*.<parent domain>`, then without the default port 443, then `*`)
 * is what the API server authenticates with: a bearer `token` (or `tokenFile`), or `username`/`password`. Without a
 * configuration the API server calls webhooks anonymously, as kube-sim always did.
 *
 * kube-sim calls webhooks by URL only, so the host is the URL's `host[:port]`; client certificates are refused with
 * a clear error (kube-sim has no way to present one here).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

/** The Authorization header value for a webhook URL, or undefined for an anonymous call. */
export type WebhookCredentials = (url: URL) => string | undefined;

type KubeconfigUser = { token?: string; tokenFile?: string; username?: string; password?: string; 'client-certificate'?: string; 'client-certificate-data'?: string };

const pluginName = 'ValidatingAdmissionWebhook';

function fail(file: string, message: string): never {
  throw new Error(`kube-sim: the admission control configuration ${file} ${message}`);
}

function readYaml(file: string, what: string): any {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`kube-sim: cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new Error(`kube-sim: ${what} ${file} is not YAML: ${(error as Error).message}`);
  }
}

function headerOf(name: string, user: KubeconfigUser, kubeconfigFile: string): string | undefined {
  if (user['client-certificate'] || user['client-certificate-data']) {
    throw new Error(`kube-sim: user "${name}" in ${kubeconfigFile} uses a client certificate; kube-sim presents only bearer tokens and basic auth to webhooks`);
  }
  if (user.token) return `Bearer ${user.token}`;
  if (user.tokenFile) {
    const token = readFileSync(user.tokenFile, 'utf8').trim();
    if (!token) throw new Error(`kube-sim: the tokenFile ${user.tokenFile} of user "${name}" in ${kubeconfigFile} is empty`);
    return `Bearer ${token}`;
  }
  if (user.username !== undefined) return `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  return undefined;
}

/** Reads the AdmissionConfiguration at `file` (kube-apiserver's --admission-control-config-file). Throws naming what is wrong. */
export function loadWebhookCredentials(file: string): WebhookCredentials {
  const config = readYaml(file, 'admission control configuration');
  if (config?.kind !== 'AdmissionConfiguration') fail(file, `is not an AdmissionConfiguration (kind: ${JSON.stringify(config?.kind)})`);
  const plugin = (Array.isArray(config.plugins) ? config.plugins : []).find((entry: any) => entry?.name === pluginName);
  // no configuration for the plugin: webhooks are called anonymously
  if (!plugin) return () => undefined;
  let pluginConfig = plugin.configuration;
  if (!pluginConfig && plugin.path) {
    // as kube-apiserver does: a relative path is relative to the admission configuration file
    pluginConfig = readYaml(path.isAbsolute(plugin.path) ? plugin.path : path.join(path.dirname(file), plugin.path), `${pluginName} configuration`);
  }
  if (!pluginConfig) fail(file, `gives ${pluginName} neither a configuration nor a path`);
  if (!['WebhookAdmissionConfiguration', 'WebhookAdmission'].includes(pluginConfig.kind)) fail(file, `gives ${pluginName} a ${JSON.stringify(pluginConfig.kind)}, not a WebhookAdmissionConfiguration`);
  const kubeconfigFile = pluginConfig.kubeConfigFile;
  if (typeof kubeconfigFile !== 'string' || !path.isAbsolute(kubeconfigFile)) fail(file, `kubeConfigFile ${JSON.stringify(kubeconfigFile)} must be an absolute file path`);
  const kubeconfig = readYaml(kubeconfigFile, 'webhook kubeconfig');
  const users = new Map<string, KubeconfigUser>((Array.isArray(kubeconfig?.users) ? kubeconfig.users : []).map((entry: any) => [String(entry?.name), (entry?.user ?? {}) as KubeconfigUser]));
  const currentUser = (Array.isArray(kubeconfig?.contexts) ? kubeconfig.contexts : []).find((entry: any) => entry?.name === kubeconfig?.['current-context'])?.context?.user;
  // Checked now, so a broken entry fails at start-up rather than on the first write.
  for (const [name, user] of users) headerOf(name, user, kubeconfigFile);

  /** kube-apiserver's order (apiserver/pkg/util/webhook/authentication.go): exact, `*.` parents, both again without :443, `*`, the current context. */
  function userFor(target: string): [string, KubeconfigUser] | undefined {
    const candidates = (host: string) => {
      const steps = host.split('.');
      return [host, ...steps.slice(1).map((_, index) => `*.${steps.slice(index + 1).join('.')}`)];
    };
    const names = [...candidates(target)];
    if (target.endsWith(':443')) names.push(...candidates(target.slice(0, -':443'.length)));
    names.push('*');
    if (currentUser) names.push(String(currentUser));
    for (const name of names) {
      const user = users.get(name);
      if (user) return [name, user];
    }
    return undefined;
  }

  return (url) => {
    const found = userFor(url.host);
    return found ? headerOf(found[0], found[1], kubeconfigFile) : undefined;
  };
}

/**
 * Writes an AdmissionConfiguration and its webhook kubeconfig into `directory` (0600: they hold tokens), giving each
 * webhook host (`host:port`, `*.domain` or `*`) its bearer token; returns the configuration's path for
 * `admissionControlConfigFile`. What a cluster administrator writes for kube-apiserver.
 */
export function writeAdmissionControlConfig(directory: string, tokens: Record<string, string>): string {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const kubeconfigFile = path.resolve(directory, 'webhook-kubeconfig.yaml');
  const configFile = path.resolve(directory, 'admission-control-config.yaml');
  writeFileSync(kubeconfigFile, toYaml({ apiVersion: 'v1', kind: 'Config', users: Object.entries(tokens).map(([name, token]) => ({ name, user: { token } })) }), { mode: 0o600 });
  writeFileSync(
    configFile,
    toYaml({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [{ name: pluginName, configuration: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: kubeconfigFile } }],
    }),
    { mode: 0o600 },
  );
  return configFile;
}
