/**
 * Dependencies of the engine that no start-up request uses, each loaded on its first call. Why: the argon2 native
 * addon (a login or a registration), the Jenkins client (testing an integration) and the tool-call inspector
 * (@skyflo/safety and its YAML parser, for the agent) are ~0.1 s of module loading at every start that /health does
 * not need. A failed load is not remembered (load-once.ts): the next call tries again.
 */
import type { PasswordHasher } from '../../app/accounts/password-hasher.ts';
import type { ToolCallInspector } from '../../domain/tool-calls/core/tool-call-inspector.ts';
import type { CheckJenkinsCredentials } from '../../app/integrations/check-jenkins-credentials.ts';
import type { CheckDataSource } from '../../app/integrations/data-sources.ts';
import type { ResolveHost } from '../../app/integrations/integration-url-guard.ts';
import { loadOnce } from '../../platform/config/load-once.ts';

/** argon2id with the library's default costs (accounts/password-hasher.ts), its addon loaded on first use. */
export function lazyPasswordHasher(): PasswordHasher {
  const hasher = loadOnce(async () => (await import('../../app/accounts/password-hasher.ts')).createPasswordHasher());
  return {
    hash: async (password) => (await hasher.get()).hash(password),
    verify: async (hash, password) => (await hasher.get()).verify(hash, password),
  };
}

/** The Jenkins credential check over HTTP (integrations/check-jenkins-credentials.ts), loaded on first use. */
export function lazyJenkinsCredentialCheck(options: { timeoutMs: number; resolve?: ResolveHost }): CheckJenkinsCredentials {
  const check = loadOnce(async () => (await import('../../app/integrations/check-jenkins-credentials.ts')).createJenkinsCredentialCheck(options));
  return async (credentials) => (await check.get())(credentials);
}

/** The Prometheus/Loki data source check (integrations/data-sources.ts) over the pinned egress fetch, loaded on first use. */
export function lazyDataSourceCheck(options: { timeoutMs: number; resolve?: ResolveHost }): CheckDataSource {
  const check = loadOnce(async () => {
    const [{ createDataSourceCheck }, { createIntegrationEgress }] = await Promise.all([import('../../app/integrations/data-sources.ts'), import('../../app/integrations/integration-egress.ts')]);
    return createDataSourceCheck({ timeoutMs: options.timeoutMs, fetch: createIntegrationEgress(options.resolve ? { resolve: options.resolve } : {}).fetch });
  });
  return async (input) => (await check.get())(input);
}

/** The tool-call inspector for the agent service, which loads after the engine listens (deferred-agent-service.ts). */
export async function loadToolCallInspector(options: { encryptionKey: Buffer }): Promise<ToolCallInspector> {
  return (await import('../../domain/tool-calls/core/tool-call-inspector.ts')).createToolCallInspector(options);
}
