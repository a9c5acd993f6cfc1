/**
 * The composition root: the one place that turns configuration into adapters (PGlite or Postgres, in-process
 * or Redis bus, embedded or remote MCP server, the configured model) and wires them into the HTTP app.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { createAccessTokens } from './accounts/access-tokens.ts';
import { createAccountService, type AccountService } from './accounts/account-service.ts';
import { createOidcSignIn, isLoopbackHttp, oidcSettings } from './accounts/oidc-sign-in.ts';
import { oidcRoutes, type OidcRouteDeps } from './http/routes/auth/oidc.ts';
import { loadOrCreateAuditSigningKeyPem, loadOrCreateEncryptionKey, loadOrCreateJwtSecret } from './crypto/data-dir-secret.ts';
import { createAuditHeadSigner, parseAuditSigningKey } from './crypto/audit-signing-key.ts';
import { createAuditHeadPublisher, type AuditHeadPublisher } from './audit/chain-head-publisher.ts';
import { auditHeadRoutes, type AuditHeadRouteDeps } from './http/routes/audit/head.ts';
import { reconcileOrphanedApprovals } from './tool-calls/execute/reconcile-orphaned-approvals.ts';
import { createSecretBox } from './crypto/secret-box.ts';
import { verifyEncryptionKey } from './crypto/verify-encryption-key.ts';
import { createLoginRateLimiter } from './accounts/login-rate-limiter.ts';
import type { PasswordHasher } from './accounts/password-hasher.ts';
import { deferAgentService } from './startup/deferred-agent-service.ts';
import { agentRoutes, type AgentRouteDeps } from './http/routes/agent/index.ts';
import type { AgentModel } from './graph/run-context.ts';
import { liveAgentModel } from './llm/agent-model.ts';
import type { BusLogger } from './bus/bus-types.ts';
import { createEventBus } from './bus/create-event-bus.ts';
import type { Config } from './config/index.ts';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { buildApp } from './http/app.ts';
import { createDiskWatch, createServerDiskWatch } from './storage/disk-full.ts';
import { isLoopbackHost } from './http/plugins/host-allowlist.ts';
import type { ToolGateway } from './mcp/tool-gateway.ts';
import { instrumentEventBus } from './observability/instrument-bus.ts';
import { createEngineMetrics } from './observability/metrics.ts';
import { loggerOptions } from './observability/logger-options.ts';
import type { EventBus, PlatformStorage } from './ports/index.ts';
import { createDeferredToolGateway, type ToolGatewayStatus } from './startup/deferred-tool-gateway.ts';
import type { CheckJenkinsCredentials } from './integrations/check-jenkins-credentials.ts';
import { lazyDataSourceCheck, lazyJenkinsCredentialCheck, lazyPasswordHasher, loadToolCallInspector } from './startup/lazy-dependencies.ts';
import type { IntegrationService } from './integrations/integration-service.ts';
import { createIntegrationService } from './integrations/integration-service.ts';
import { createIntegrationEgress } from './integrations/integration-egress.ts';
import { createIntegrationUrlGuard, type ResolveHost } from './integrations/integration-url-guard.ts';
import { createDatabaseVault, createKubernetesVault } from './integrations/credential-vault.ts';
import { createKubernetesSecretClient } from './integrations/kubernetes-secret-client.ts';
import { createExternalMcp } from './integrations/external-mcp/index.ts';
import { externalMcpRoutes, type ExternalMcpRouteDeps } from './http/routes/external-mcp/index.ts';
import { integrationRoutes, type IntegrationRouteDeps } from './http/routes/integrations/index.ts';
import { settingsRoutes, type SettingsRouteDeps } from './http/routes/settings/index.ts';
import { runbookRoutes, type RunbookRouteDeps } from './http/routes/runbooks/index.ts';
import { createRunbooks } from './runbooks/create-runbooks.ts';
import { createTeamFeatures } from './modules/team-features.ts';
import { clustersUnavailableMessage } from './clusters/clusters-unavailable.ts';
import { createClusterDirectory } from './clusters/cluster-directory.ts';
import { createClusterEnforcement } from './clusters/enforcement/cluster-enforcement.ts';
import { createStrayKeySweep } from './passkeys/stray-key-sweep.ts';
import { createClusterHealth } from './clusters/cluster-health.ts';
import { createDependencyProbes } from './observability/dependency-probes.ts';
import { createClusterPolicies } from './clusters/cluster-policies.ts';
import { clusterRoutes, type ClusterRouteDeps } from './http/routes/clusters/index.ts';
import type { LlmConfig } from './config/llm.ts';
import { markStartup } from './observability/startup-trace.ts';
import { createPasskeyPolicies } from './passkeys/passkey-policy.ts';
import { createPasskeyService } from './passkeys/passkey-service.ts';
import { approvalPageUrl, clusterConfirmedPeoplePasskey, type PasskeyApprovals } from './passkeys/passkey-approvals.ts';
import { passkeyRoutes, type PasskeyRouteDeps } from './http/routes/passkeys/index.ts';
import { policyRoutes, type PolicyRouteDeps } from './http/routes/policies/index.ts';
import { createPolicyGate } from './policies/policy-gate.ts';
import { createPolicyService } from './policies/policy-service.ts';
import { createEmergencyStop } from './emergency-stop/emergency-stop.ts';
import { createFreezeService } from './freezes/freeze-service.ts';
import { freezeRoutes, type FreezeRouteDeps } from './http/routes/freezes/index.ts';
import { watchEmergencyStop } from './emergency-stop/stop-signal.ts';
import { createClusterStopSwitch } from './emergency-stop/cluster-switch.ts';
import { relayEmergencyStop, type EmergencyStopRelay } from './emergency-stop/executor-relay.ts';
import { emergencyStopRoutes, emergencyStopView, type EmergencyStopRouteDeps } from './http/routes/emergency-stop/index.ts';
import { deviceKeyRoutes, type DeviceKeyRouteDeps } from './http/routes/device-keys/index.ts';
import { createDeviceKeyService } from './passkeys/device-keys.ts';
import { decide, mayBreakGlass } from './tool-calls/decide/decide.ts';
import { createDecisionFactsGatherer, type DecisionFactsGatherer } from './tool-calls/decide/gather-facts.ts';
import { pausedCallIds } from './graph/resume-checkpoint.ts';
import { createIdleHeapTrim } from './memory/idle-heap-trim.ts';
import { createScheduler, type Scheduler } from './schedules/scheduler.ts';
import { createClusterScheduleSync, type ClusterScheduleSync } from './schedules/cluster-schedules.ts';
import { createKubernetesScheduleSource } from './schedules/kubernetes-schedule-source.ts';
import { createDeclaredGuardrails, type DeclaredGuardrails } from './declared/declared-guardrails.ts';
import { createClusterObjectSource, createFolderObjectSource, type DeclaredObjectSource } from './declared/declared-sources.ts';
import { createIncidentMemory } from './incident-memory/incident-memory.ts';
import { scheduleRoutes, type ScheduleRouteDeps } from './http/routes/schedules/index.ts';

export interface EngineOverrides {
  /** storage the caller owns and closes */
  storage?: PlatformStorage;
  /**
   * storage this engine owns (and closes), already opening: runServer starts the database before it loads the
   * engine's modules, so the two overlap
   */
  openingStorage?: Promise<PlatformStorage>;
  /** the audit signing key (PEM) the opening storage was given: the engine signs chain heads with the same */
  auditSigningKeyPem?: Promise<string>;
  bus?: EventBus;
  tools?: ToolGateway;
  /** the model the agent uses instead of the configured one (tests: llm-sim) */
  llm?: AgentModel;
  /** tests use cheaper argon2 costs */
  passwordHasher?: PasswordHasher;
  /** Fastify logger option; default: pino at config.server.logLevel */
  logger?: FastifyServerOptions['logger'];
  /** how integration credentials are checked against Jenkins (default: over HTTP with a 10 s timeout) */
  checkJenkinsCredentials?: CheckJenkinsCredentials;
  /** how integration host names resolve, for the URL guard and for connecting (tests: a stub; default: DNS) */
  resolveHost?: ResolveHost;
  /** issue 81: the scheduler's clock (tests drive it; default Date.now) */
  now?: () => number;
  /** issue 81: how often the scheduler looks for due ticks after listen (default 15 s) */
  scheduleBeatMs?: number;
}

export interface Engine {
  app: FastifyInstance;
  storage: PlatformStorage;
  accounts: AccountService;
  /** integrations (skyflo sandbox provisions kube-sim's Prometheus and Loki as data sources through it) */
  integrations: IntegrationService;
  /** what the model is, or why there is none (for start-up logs) */
  llmDescription: string;
  /** the one-time token for creating the first admin, when one is needed (printed at start-up while no user exists) */
  setupToken?: string;
  llmProblem?: string;
  /** scheduled checks (issue 81): tick() claims and starts the due runs; idle() waits for them */
  schedules: Scheduler;
  /** issue 81: the SkyfloSchedule sync, when SCHEDULES_NAMESPACE is set (sync() reads the objects now) */
  clusterSchedules?: ClusterScheduleSync;
  /** issue 76: the SkyfloPolicy/SkyfloFreeze sync (cluster and POLICIES_DIR), when either is configured */
  declaredGuardrails?: DeclaredGuardrails;
  /** Listens on config.server.host/port and resolves the base URL, e.g. http://127.0.0.1:8080 */
  listen(): Promise<string>;
  /** Stops accepting requests, lets running agent runs settle, then closes tools, bus and storage. */
  close(): Promise<void>;
}

/** The LLM variables the environment sets (they win over saved settings; the settings API lists them). */
function llmEnvironmentVariables(llm: LlmConfig): string[] {
  return [
    ...(llm.model ? ['LLM_MODEL'] : []),
    ...(llm.host ? ['LLM_HOST'] : []),
    ...(llm.maxTokens !== undefined ? ['LLM_MAX_TOKENS'] : []),
    ...(llm.reasoningEffort ? ['LLM_REASONING_EFFORT'] : []),
    ...(llm.thinkingBudgetTokens !== undefined ? ['LLM_THINKING_BUDGET_TOKENS'] : []),
    ...Object.values(llm.apiKeys).map((secret) => secret!.source),
  ];
}

/** The embedded (or remote) MCP server's gateway, imported only when first needed or after the engine listens. */
function deferToolGateway(config: Config) {
  return createDeferredToolGateway(async () => {
    const { createToolGateway } = await import('./mcp/create-tool-gateway.ts');
    return createToolGateway(
      config.server.mcpServerUrl
        ? { url: config.server.mcpServerUrl, ...(config.server.mcpAuthToken ? { authToken: config.server.mcpAuthToken } : {}), cacheMs: config.agent.toolListCacheMs }
        : {
            embedded: {
              ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}),
              ...(config.server.dryRunProxy ? { dryRunProxyEnv: config.server.dryRunProxy } : {}),
              helmAllowedRegistries: config.server.helmAllowedRegistries,
              ...(config.server.helmChartDirs.length ? { helmChartDirs: config.server.helmChartDirs } : {}),
              clusterLabels: config.server.clusterLabels,
              helmChartCacheDir: config.server.helmChartCacheDir ?? path.join(config.storage.dataDir, 'helm-charts'),
              integrationsNamespace: config.integrations.secretNamespace,
            },
            cacheMs: config.agent.toolListCacheMs,
          },
    );
  });
}

/** How long after listening the engine starts loading the agent and the MCP catalogue in the background. */
const warmUpDelayMs = 500;

export async function createEngine(config: Config, overrides: EngineOverrides = {}): Promise<Engine> {
  const owned: Array<() => Promise<void>> = [];
  const closeOwned = async () => {
    for (const close of owned.reverse()) await close().catch(() => undefined);
  };
  // The bus is made before the app (whose logger it uses), so it logs through whichever logger exists by then.
  let appLog: BusLogger | undefined;
  let engineLog: FastifyInstance['log'] | undefined;
  const busLogger: BusLogger = { warn: (object, message) => appLog?.warn(object, message) };
  let storagePromise: Promise<PlatformStorage> | undefined;
  try {
    // Why dynamic imports, started together: storage (PGlite, Drizzle) and the chosen model provider are
    // independent, so their file reads and WASM compile overlap with each other and with opening the database.
    // The agent workflow (LangGraph, AI SDK, the checkpointer) and the MCP server load after the engine listens.
    // The data dir's keys (made on first start) are files of their own: read or written while the database opens.
    const jwtSecret = config.auth.jwtSecret ? Promise.resolve(config.auth.jwtSecret) : loadOrCreateJwtSecret(config.storage.dataDir);
    const encryptionKeyPromise = config.security.encryptionKey ? Promise.resolve(config.security.encryptionKey) : loadOrCreateEncryptionKey(config.storage.dataDir);
    // Either may fail before it is awaited below; the failure is reported there, not as an unhandled rejection.
    const auditSigningKeyPromise = overrides.auditSigningKeyPem ?? (config.storage.auditSigningKey ? Promise.resolve(config.storage.auditSigningKey) : loadOrCreateAuditSigningKeyPem(config.storage.dataDir));
    jwtSecret.catch(() => undefined);
    encryptionKeyPromise.catch(() => undefined);
    auditSigningKeyPromise.catch(() => undefined);
    // Loaded even when a test supplies the model: the settings API describes the environment's model either way.
    const llmModule = import('./llm/create-language-model.ts');
    const llmSettingsModule = import('./llm-settings/llm-settings-service.ts');
    storagePromise = overrides.storage
      ? Promise.resolve(overrides.storage)
      : (overrides.openingStorage ?? import('./storage/create-storage.ts').then(({ createStorage }) => createStorage(config.storage, { auditSigningKeyPem: auditSigningKeyPromise })));
    // Registered for closing as soon as it settles, so a failure elsewhere does not leak an open database.
    storagePromise.then((opened) => (overrides.storage ? undefined : owned.push(() => opened.close())), () => undefined);

    const ownBus = overrides.bus ? undefined : await createEventBus({ redisUrl: config.bus.redisUrl, keyPrefix: config.bus.keyPrefix, bufferTtlSeconds: config.bus.bufferTtlSeconds, logger: busLogger });
    const rawBus: EventBus = overrides.bus ?? ownBus!;
    if (ownBus) owned.push(() => ownBus.close());
    // A bad REDIS_URL stops start-up with the bus's own message (naming REDIS_URL) instead of failing the first chat.
    const busReady = ownBus?.ready();

    const [storage, selection, { createLlmSettingsService }] = await Promise.all([
      storagePromise,
      llmModule.then(({ createLanguageModel }) => createLanguageModel(config.llm)),
      llmSettingsModule,
      busReady,
    ]);
    markStartup('storage and model modules loaded');
    // Issue 75: one real round trip per dependency, shared by /health, /readyz, the metrics and the 503 of a new run.
    const dependencies = createDependencyProbes({
      probes: {
        database: () => storage.ping(),
        bus: async () => {
          await rawBus.ping?.();
          const said = rawBus.health();
          if (said.status !== 'ok') throw new Error(said.detail);
        },
      },
    });
    const metrics = createEngineMetrics({ database: () => dependencies.require(['database']), bus: async () => (await dependencies.check()).bus.ok });
    // Everything that publishes or streams run events goes through the instrumented bus (runs, tools, tokens, SSE).
    // An idle engine gives back the young generation start-up and bursts of runs grew (memory/idle-heap-trim.ts).
    const heapTrim = createIdleHeapTrim({ logger: { debug: (object, message) => engineLog?.debug(object, message) } });
    const bus = instrumentEventBus(rawBus, metrics, heapTrim.noteActivity);

    const deferredTools = overrides.tools ? undefined : deferToolGateway(config);
    const ownTools: ToolGateway = overrides.tools ?? deferredTools!;
    if (deferredTools) owned.push(() => deferredTools.close());
    const toolStatus = (): ToolGatewayStatus => deferredTools?.status() ?? 'ready';


    const secret = await jwtSecret;
    // Bound beyond loopback, a fresh install would belong to whoever on the network registers first: ask for a
    // token that only the person who can read the start-up log has.
    const setupToken = isLoopbackHost(config.server.host) ? undefined : (config.server.setupToken ?? randomBytes(18).toString('base64url'));
    const encryptionKey = await encryptionKeyPromise;
    const secretBox = createSecretBox(encryptionKey);
    // Issue 39 item 4: the MCP servers an admin connected, their tools beside ours behind the same gate.
    const externalEgress = createIntegrationEgress(overrides.resolveHost ? { resolve: overrides.resolveHost } : {});
    // an external server's declared cluster must be one of ours (the directory exists by the time an admin adds one)
    // its OAuth client id (CIMD) and redirect URI are at the public address (team is built below; read when used)
    const externalMcp = createExternalMcp({ storage, secretBox, ownTools, egress: externalEgress, clusterNames: async () => (await clusterDirectory.list()).map((cluster) => cluster.name), publicUrl: () => team.publicUrl.base() });
    owned.push(() => externalEgress.close());
    owned.push(() => externalMcp.close());
    const tools = externalMcp.tools;
    const accessTokens = createAccessTokens({ secret, ttlMinutes: config.auth.accessTokenMinutes });
    // Passkeys for risky approvals (issue 35): the relying party is the Command Center's public address.
    let passkeyApprovals: PasskeyApprovals | undefined;
    // LOCAL_LOGIN=false ends local accounts' passwords, refresh tokens and API tokens, the break-glass admin's excepted
    const localLogin = { enabled: config.oidc.localLogin, breakGlassEmail: config.oidc.breakGlassEmail, providerName: config.oidc.oidc?.providerName };
    let decisionFacts: DecisionFactsGatherer | undefined;
    // API tokens, the per-user notification stream and the notifiers (modules/team-features.ts).
    const team = createTeamFeatures({
      passkeys: () => passkeyApprovals,
      decisionFacts: () => decisionFacts,
      localLogin,
      storage,
      bus,
      policy: { policy: config.governance.approvalPolicy, fourEyes: config.governance.fourEyes },
      ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
      heartbeatMs: config.agent.heartbeatMs,
      secretBox,
      ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}),
      agent: () => agentService,
      ...(config.integrations.teamsOpenIdMetadataUrl ? { teamsOpenIdMetadataUrl: config.integrations.teamsOpenIdMetadataUrl } : {}),
      alertConcurrency: config.integrations.alertMaxConcurrentInvestigations,
      alertQueueLimit: config.integrations.alertQueueLimit,
      alertReinvestigate: config.integrations.alertReinvestigate,
      ...(config.integrations.pagerDuty ? { pagerDuty: config.integrations.pagerDuty } : {}),
      logger: { error: (object, message) => engineLog?.error(object, message), warn: (object, message) => engineLog?.warn(object, message) },
    });
    const passkeyPolicies = createPasskeyPolicies({ settings: storage.settings });
    // the cluster enforcement exists a little later; passkey keys are mirrored to its executors once it does
    let approverKeyMirror: Awaited<ReturnType<typeof createClusterEnforcement>> | undefined;
    const passkeyService = createPasskeyService({
      mirrorKey: async (change) => (approverKeyMirror ? approverKeyMirror.mirrorApproverKey(change) : []),
      passkeys: storage.passkeys,
      atomically: storage.atomically,
      audit: storage.audit,
      publicUrl: () => team.publicUrl.base(),
      secret,
      // a new key is a new way to approve: every other active admin hears of it
      announce: async ({ userId, email, name }) => {
        const admins = (await storage.users.list()).filter((member) => member.role === 'admin' && member.id !== userId);
        await Promise.all(admins.map((admin) => team.hub.publish(admin.id, { kind: 'passkey.registered', conversation_id: '', summary: `${email} registered a new passkey "${name}"; if this was not them, remove their access and the passkey.` })));
      },
    });
    const deviceKeyService = createDeviceKeyService({
      mirrorKey: async (change) => (approverKeyMirror ? approverKeyMirror.mirrorApproverKey(change) : []),
      deviceKeys: storage.deviceKeys,
      passkeys: storage.passkeys,
      atomically: storage.atomically,
      audit: storage.audit,
      relyingParty: () => passkeyService.relyingParty(),
      publicUrl: () => team.publicUrl.base(),
      // a confirmed device key is a new way to approve: every other active admin hears of it
      announce: async ({ userId, email, name }) => {
        const admins = (await storage.users.list()).filter((member) => member.role === 'admin' && member.id !== userId);
        await Promise.all(admins.map((admin) => team.hub.publish(admin.id, { kind: 'passkey.registered', conversation_id: '', summary: `${email} confirmed a new device key "${name}" for approving from the terminal; if this was not them, remove their access and the key.` })));
      },
    });
    passkeyApprovals = {
      verifyDeviceSignature: (user, record, signature) => deviceKeyService.verifyApproval(user, record, signature),
      // where the cluster enforces approvals, its executor counts a policy's approvers (and recognises a role) by their passkeys too
      requirementOf: async (call) => (config.enforcement.mode === 'cluster' ? clusterConfirmedPeoplePasskey(call) : undefined) ?? passkeyPolicies.requirementOf(call),
      approvalPage: (conversationId, callId) => approvalPageUrl(team.publicUrl.base(), conversationId, callId),
      verifyApproval: (user, record, webauthn) => passkeyService.verifyApproval(user, record, webauthn),
    };
    const passwordHasher = overrides.passwordHasher ?? lazyPasswordHasher();
    const oidcSignIn = config.oidc.oidc ? createOidcSignIn({ settings: oidcSettings(config.oidc.oidc, config.server.publicUrl), stateSecret: secret, allowInsecureRequests: isLoopbackHttp(config.oidc.oidc.issuerUrl) }) : undefined;
    const accounts = createAccountService({
      users: storage.users,
      refreshTokens: storage.refreshTokens,
      audit: storage.audit,
      atomically: storage.atomically,
      hasher: passwordHasher,
      accessTokens,
      localLogin,
      // company sign-in's sessions ask the provider again at each refresh (its refresh token, sealed per family)
      ...(oidcSignIn
        ? {
            providerSessions: {
              seal: (familyId: string, session: { refreshToken?: string | undefined }) => secretBox.seal(JSON.stringify(session), `oidc-session:${familyId}`),
              open: (familyId: string, sealed: string) => JSON.parse(secretBox.open(sealed, `oidc-session:${familyId}`)) as { refreshToken?: string },
              refresh: (input: { refreshToken: string; issuer: string; subject: string }) => oidcSignIn.refresh(input),
            },
          }
        : {}),
      loginLimiter: createLoginRateLimiter(config.auth.loginRateLimit),
      addressLimiter: createLoginRateLimiter(config.auth.loginAddressRateLimit),
      allowRegistration: config.auth.allowRegistration,
      ...(setupToken ? { setupToken } : {}),
      refreshTokenDays: config.auth.refreshTokenDays,
      apiTokens: team.apiTokens,
    });

    // The model: from the environment, or from the settings an admin saved (PUT /settings/llm), switched live.
    const llmSettings = createLlmSettingsService({
      settings: storage.settings,
      atomically: (work) => storage.atomically(work),
      secretBox,
      audit: storage.audit,
      environment: config.llm,
      environmentVariables: llmEnvironmentVariables(config.llm),
      initial: selection,
    });
    // The first queries; an embedded database may still be opening on its own thread (storage/pglite-thread), so
    // they run while the app is built, and are awaited before the engine is returned.
    // Calls whose run died with the previous process are closed before the engine listens, so a conversation opened
    // right after a restart never shows one "executing" (PGlite: this process holds the data dir's lock, so every
    // run still marked running is dead; Postgres: those whose lease lapsed, and again below as leases lapse).
    const ownsWholeDatabase = !config.storage.postgresUrl && !overrides.storage;
    const reconcileLogger = { error: (object: unknown, message?: string) => engineLog?.error(object, message), warn: (object: unknown, message?: string) => engineLog?.warn(object, message), info: (object: unknown, message?: string) => engineLog?.info(object, message) };
    const reconcile = (everyRunIsDead: boolean) => reconcileOrphanedApprovals({ storage, tools, logger: reconcileLogger, everyRunIsDead });
    const databaseReady = Promise.all([verifyEncryptionKey(storage.settings, secretBox), llmSettings.load(), team.publicUrl.load(), reconcile(ownsWholeDatabase), externalMcp.load()]);
    databaseReady.catch(() => undefined);
    const llm: AgentModel = overrides.llm ?? liveAgentModel(llmSettings);

    const integrations = createIntegrationService({
      store: storage.integrations,
      atomically: (work) => storage.atomically(work),
      vault:
        config.integrations.backend === 'kubernetes'
          ? createKubernetesVault({ namespace: config.integrations.secretNamespace, secrets: await createKubernetesSecretClient(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) })
          : createDatabaseVault(secretBox),
      audit: storage.audit,
      checkCredentials: overrides.checkJenkinsCredentials ?? lazyJenkinsCredentialCheck({ timeoutMs: 10_000, ...(overrides.resolveHost ? { resolve: overrides.resolveHost } : {}) }),
      ...(overrides.resolveHost ? { checkUrl: createIntegrationUrlGuard({ resolve: overrides.resolveHost }) } : {}),
      checkDataSource: lazyDataSourceCheck({ timeoutMs: 10_000, ...(overrides.resolveHost ? { resolve: overrides.resolveHost } : {}) }),
      // asked when an admin saves a data source for a cluster (the directory is built below; used only later)
      clusterNames: async () => (await clusterDirectory.list({ refresh: true })).map((cluster) => cluster.name),
    });

    let rateLimitRedis: Redis | undefined;
    if (config.bus.redisUrl) {
      const { Redis: RedisClient } = await import('ioredis');
      // commandTimeout: a stalled Redis fails the count (skipped: the limit protects capacity, not access) rather than
      // hold every API request behind it (issue 75: a new chat hung 15 s on a frozen Redis).
      const client = new RedisClient(config.bus.redisUrl, { maxRetriesPerRequest: 1, keyPrefix: config.bus.keyPrefix, commandTimeout: 2_000 });
      // Errors are reported by the bus's health; this connection only counts requests and reconnects by itself.
      client.on('error', () => undefined);
      owned.push(async () => void (await client.quit().catch(() => client.disconnect())));
      rateLimitRedis = client;
    }

    const auditSigner = createAuditHeadSigner(parseAuditSigningKey(await auditSigningKeyPromise));
    let auditHeads: AuditHeadPublisher | undefined;
    const approvalPolicy = { policy: config.governance.approvalPolicy, fourEyes: config.governance.fourEyes };
    // Issue 76: the team's policies, judged by the gate on every proposed call and managed by admins (policies/).
    const policyFacts = { users: storage.users, groupsByRole: config.governance.impersonationGroups, clusterLabels: config.governance.clusterLabels };
    const policyGate = createPolicyGate({ ...policyFacts, store: storage.policies, audit: storage.audit });
    const policyService = createPolicyService({ ...policyFacts, store: storage.policies, approvals: storage.approvals, atomically: storage.atomically });
    // Issue 76: the emergency stop, in the database (every replica reads it) and announced on the bus.
    const freezes = createFreezeService({ store: storage.freezes, atomically: storage.atomically });
    let stopRelay: EmergencyStopRelay | undefined;
    // an in-cluster install's SkyfloAI annotation is the same switch (read with the engine's own identity)
    const stopNamespace = config.server.declaredGuardrails?.namespace;
    const clusterSwitch = stopNamespace ? await createClusterStopSwitch({ namespace: stopNamespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }) : undefined;
    const emergencyStop = createEmergencyStop({ settings: storage.settings, atomically: storage.atomically, bus, logger: { warn: (object, message) => engineLog?.warn(object, message) }, onChange: async () => stopRelay?.announce(), clusterSwitch });
    // …and the signal that ends verifications in progress (and the automatic reverts they would start) when it is engaged
    // (on the raw bus: its subscription is the engine's own, not an event stream open to a client — skyflo_sse_clients)
    const emergencyStopSignal = watchEmergencyStop({ stop: emergencyStop, bus: rawBus });
    // Clusters (issue 22): the MCP server's list_clusters, briefly cached; per-cluster policies over the environment's.
    const clusterDirectory = createClusterDirectory({ tools });
    const clusterPolicies = createClusterPolicies({ settings: storage.settings, defaults: approvalPolicy });
    const clusterHealth = createClusterHealth({ directory: clusterDirectory });
    const scopeOf = async (userId: string) => (await storage.users.findById(userId))?.scope;
    // Every fact a decision reads about a call (issue 74 item 9), for the pending list, the passkey options and the
    // notifications; the agent service gathers its decisions' facts with the same function.
    decisionFacts = createDecisionFactsGatherer({
      environment: approvalPolicy,
      approvals: storage.approvals,
      conversations: storage.conversations,
      scopeOf,
      // while the MCP server loads nothing is called stale (the listing would wait for it); execution still checks
      configuredClusters: async () => {
        if (toolStatus() !== 'ready') throw new Error('the MCP server is not ready');
        return clusterDirectory.list();
      },
      pausedCallIds: async (conversationId) => pausedCallIds(await (await storage.checkpointer()).getTuple({ configurable: { thread_id: conversationId } })),
      passkeys: passkeyApprovals,
      emergencyStop: () => emergencyStop.state(),
      activeFreeze: (call) => freezes.activeFor(call),
    });
    // Issue 34: approvals the cluster enforces (SKYFLO_APPROVAL_ENFORCEMENT=cluster): signed, mirrored, per-approval credentials.
    const enforcement = config.enforcement.mode === 'cluster' ? await createClusterEnforcement({ config: config.enforcement, passkeyRequirement: (call) => passkeyPolicies.requirementOf(call), logger: { warn: (object, message) => engineLog?.warn(object, message) } }) : undefined;
    approverKeyMirror = enforcement;
    // …and the executors hold the engine's emergency stop too (issue 76: they mint nothing while it is on)
    stopRelay = enforcement ? relayEmergencyStop({ stop: emergencyStop, executors: enforcement, logger: { warn: (object, message) => engineLog?.warn(object, message) } }) : undefined;
    // Keys a failed removal left on an executor are taken off on a beat (never added: passkeys/stray-key-sweep.ts).
    const strayKeySweep = enforcement
      ? createStrayKeySweep({
          users: storage.users,
          passkeys: storage.passkeys,
          deviceKeys: storage.deviceKeys,
          removeStrays: (registry) => enforcement.removeStrayApproverKeys(registry),
          audit: storage.audit,
          logger: reconcileLogger,
          intervalMs: config.enforcement.approverKeySweepMs,
        })
      : undefined;
    // Team runbooks (issue 36): RUNBOOKS_DIR and those uploaded in Settings, offered to the model when they match.
    const runbooks = createRunbooks({ settings: storage.settings, audit: storage.audit, logger: { ...reconcileLogger, warn: (object, message) => engineLog?.warn(object, message) }, ...(config.integrations.runbooksDir ? { directory: config.integrations.runbooksDir } : {}) });
    // A full disk under the database is named (507 STORAGE_FULL, /health degraded): the embedded database's data dir,
    // or the database server's disk as the writes it refuses show it (issue 75).
    const diskWatch = ownsWholeDatabase ? createDiskWatch({ dataDir: config.storage.dataDir }) : createServerDiskWatch({ label: storage.label ?? 'the database' });
    // The agent service: its dependencies are fixed here, its workflow module loads after listen (or on first use).
    const agentService = deferAgentService({
      storage,
      bus,
      tools,
      llm,
      config: config.agent,
      jenkinsIntegration: () => integrations.activeJenkins(),
      observabilitySources: (cluster) => integrations.observabilitySources(cluster),
      grafanaUrl: (cluster) => integrations.grafanaUrl(cluster),
      secretBox,
      observeEvent: team.observeEvent,
      audit: storage.audit,
      approvalPolicy,
      policies: policyGate,
      emergencyStop,
      emergencyStopSignal,
      freezes,
      clusters: { directory: clusterDirectory, policies: clusterPolicies },
      scopeOf: async (userId) => (await storage.users.findById(userId))?.scope,
      passkeys: passkeyApprovals,
      runbooks,
      incidentMemory: createIncidentMemory({ similar: storage.similarConversations, conversations: storage.conversations }),
      ...(config.governance.executeAsApprover ? { executeAsApprover: { groupsByRole: config.governance.impersonationGroups } } : {}),
      ...(enforcement ? { enforcement } : {}),
      // the app's logger, which exists by the time the service loads
      logger: reconcileLogger,
      // a run's write refused for a full disk marks the disk failing in /health too
      onStorageFailure: (error) => void diskWatch.classify(error).catch(() => undefined),
    }, () => loadToolCallInspector({ encryptionKey }));
    // Scheduled checks (issue 81): ticks claimed in the database, run as the owner's conversations.
    const schedulerNow = overrides.now ?? Date.now;
    const scheduleChannels: Record<string, string> = { slack: 'slack', teams: 'teams', webhook: 'webhooks' };
    const scheduler = createScheduler({
      store: storage.schedules,
      users: storage.users,
      conversations: storage.conversations,
      audit: storage.audit,
      agent: () => agentService,
      admit: async (userId) => app.conversationQuotaFor?.(userId),
      now: schedulerNow,
      logger: reconcileLogger,
      notify: async ({ schedule, conversationId, summary }) => {
        const title = `Schedule: ${schedule.name}`;
        if (schedule.notify.includes('in_app')) await team.hub.publish(schedule.ownerId, { kind: 'schedule.completed', conversation_id: conversationId ?? '', conversation_title: title, summary });
        const sinks = schedule.notify.map((channel) => scheduleChannels[channel]).filter((name): name is string => name !== undefined);
        if (sinks.length > 0 && conversationId) {
          team.notifier.announce({ type: 'schedule.completed', at: schedulerNow(), conversation_id: conversationId, conversation_title: title, conversation_url: `${team.publicUrl.base()}/chat/${conversationId}`, schedule: schedule.name, status: 'completed', conclusion: summary }, sinks);
        }
      },
    });
    // Issue 81: an in-cluster install's SkyfloSchedule objects, kept as schedules (read with the engine's own identity)
    const clusterSchedules = config.server.clusterSchedules
      ? createClusterScheduleSync({ source: await createKubernetesScheduleSource({ namespace: config.server.clusterSchedules.namespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }), store: storage.schedules, users: storage.users, scopeOf, audit: storage.audit, now: schedulerNow, logger: reconcileLogger })
      : undefined;
    // Issue 76: SkyfloPolicy/SkyfloFreeze objects (the cluster, with the engine's own identity) and POLICIES_DIR files
    const declaredConfig = config.server.declaredGuardrails;
    const declaredSources: DeclaredObjectSource[] = [];
    if (declaredConfig?.namespace) declaredSources.push(await createClusterObjectSource({ namespace: declaredConfig.namespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }));
    if (declaredConfig?.directory) declaredSources.push(createFolderObjectSource({ directory: declaredConfig.directory, logger: reconcileLogger }));
    const declaredGuardrails = declaredSources.length > 0 ? createDeclaredGuardrails({ sources: declaredSources, policies: storage.policies, freezes: storage.freezes, audit: storage.audit, logger: reconcileLogger }) : undefined;
    markStartup('building the app');
    const app = await buildApp({
      server: config.server,
      limits: config.limits,
      ...(rateLimitRedis ? { rateLimitRedis } : {}),
      metrics: { metrics, ...(config.observability.metricsToken ? { token: config.observability.metricsToken } : {}) },
      modelPrices: config.analytics.modelPrices,
      approvalPolicy,
      decisionFacts,
      scopeOf,
      // the pending list titles calls as the chat's card does; while the MCP server loads, by the tool's name
      toolTitles: async () => (toolStatus() === 'ready' ? new Map((await tools.listTools()).map((tool) => [tool.name, tool.title])) : new Map()),
      bus,
      stopRuns: async (runIds) => {
        await Promise.all(runIds.map((runId) => bus.requestStop(runId)));
      },
      storage,
      accounts,
      accessTokenTtlSeconds: accessTokens.ttlSeconds,
      logger: overrides.logger ?? (await loggerOptions(config.server)),
      // Liveness stays `status: "ok"` while the MCP server loads; readiness of the tools is its own field.
      readiness: () => ({ mcp: toolStatus() }),
      // only once the MCP server is up: a health probe never starts it (cold start stays cheap)
      clusterHealth: async () => (toolStatus() === 'ready' ? clusterHealth() : undefined),
      emergencyStop: async () => emergencyStopView(await emergencyStop.state()),
      dependencies,
      // the embedded database lives in the data dir: a full disk there is named (507 STORAGE_FULL, /health degraded)
      disk: diskWatch,
      routes: [
        {
          plugin: agentRoutes,
          options: { service: agentService, bus, tools, runs: storage.runs, config: config.agent, dependencies } satisfies AgentRouteDeps,
        },
        { plugin: integrationRoutes, options: { integrations, webhooks: team.webhooks, slack: team.slack, teams: team.teams } satisfies IntegrationRouteDeps },
        { plugin: externalMcpRoutes, options: { externalMcp: externalMcp.service, publicUrl: () => team.publicUrl.base() } satisfies ExternalMcpRouteDeps },
        { plugin: settingsRoutes, options: { llmSettings } satisfies SettingsRouteDeps },
        { plugin: runbookRoutes, options: { runbooks } satisfies RunbookRouteDeps },
        { plugin: policyRoutes, options: { policies: policyService } satisfies PolicyRouteDeps },
        { plugin: emergencyStopRoutes, options: { emergencyStop } satisfies EmergencyStopRouteDeps },
        { plugin: freezeRoutes, options: { freezes } satisfies FreezeRouteDeps },
        { plugin: scheduleRoutes, options: { store: storage.schedules, scheduler: () => scheduler, audit: storage.audit, scopeOf, now: schedulerNow } satisfies ScheduleRouteDeps },
        { plugin: deviceKeyRoutes, options: { deviceKeys: deviceKeyService } satisfies DeviceKeyRouteDeps },
        {
          plugin: passkeyRoutes,
          options: {
            passkeys: passkeyService,
            policies: passkeyPolicies,
            approvals: storage.approvals,
            atomically: storage.atomically,
            clusters: () => clusterDirectory.list(),
            // the options are given only to someone who may decide the call (the decision's own facts and rules, as the queue asks)
            // issue 76 item 6: or, for a call a change freeze holds, may break the glass (an admin signs for that)
            mayDecide: async (user, record) => {
              const facts = await decisionFacts!.forCall({ actor: { id: user.id, email: user.email, role: user.role }, conversationId: record.conversationId, callId: record.callId });
              return decide(facts) === undefined || mayBreakGlass(facts);
            },
          } satisfies PasskeyRouteDeps,
        },
        { plugin: clusterRoutes, options: { directory: clusterDirectory, policies: clusterPolicies, users: storage.users, audit: storage.audit, ...(enforcement ? { enforcementOf: (cluster: string) => enforcement.modeFor(cluster) } : {}) } satisfies ClusterRouteDeps },
        ...team.routes,
        {
          plugin: oidcRoutes,
          options: {
            accounts,
            signIn: oidcSignIn,
            hasher: passwordHasher,
            accessTokenTtlSeconds: accessTokens.ttlSeconds,
            localLogin: config.oidc.localLogin,
            breakGlass: config.oidc.breakGlassEmail !== undefined,
            publicUrl: config.server.publicUrl,
          } satisfies OidcRouteDeps,
        },
        { plugin: auditHeadRoutes, options: { audit: storage.audit, heads: { current: () => auditHeads!.current() }, signer: auditSigner } satisfies AuditHeadRouteDeps },
      ],
    });
    markStartup('app built');
    appLog = app.log;
    engineLog = app.log;
    // every request is activity: the heap is not collected while people use the engine
    app.server.on('request', heapTrim.noteActivity);
    auditHeads = createAuditHeadPublisher({ audit: storage.audit, signer: auditSigner, logger: app.log, intervalMs: (config.storage.auditHeadPublishSeconds ?? 30) * 1000 });
    if (config.storage.postgresUrl && !config.storage.postgresMigrationUrl && !overrides.storage) {
      app.log.warn(
        'POSTGRES_DATABASE_URL is the only database login: the engine runs the migrations with it, so it owns audit_events and could disable its triggers and rewrite the audit trail. ' +
          'Set POSTGRES_MIGRATION_URL to the owner role and POSTGRES_DATABASE_URL to a role of its own (see docs/approvals-and-enforcement.md, "Audit history cannot be rewritten"); until then keep the signed audit heads (GET /api/v1/audit/head) outside the database.',
      );
    }
    try {
      await databaseReady;
      markStartup('first queries answered');
      strayKeySweep?.start();
      // Alert investigations a previous process left queued start now (the agent loads on first use).
      void team.alerts.resume().catch((error: unknown) => app.log.error({ err: error }, 'could not resume the queued alert investigations'));
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }

    let closing: Promise<void> | undefined;
    let warmUp: NodeJS.Timeout | undefined;
    // Runs of other processes (Postgres) whose lease lapses after this start are closed as they lapse.
    // On the same beat, an engine with a free slot takes up queued alert investigations (their engine may have died).
    const reconciler = ownsWholeDatabase || overrides.storage ? undefined : setInterval(() => {
      void reconcile(false);
      void team.alerts.resume();
    }, Math.max(1_000, config.agent.runLeaseMs));
    reconciler?.unref();
    return {
      app,
      storage,
      accounts,
      integrations,
      llmDescription: overrides.llm ? overrides.llm.modelName : llmSettings.selection().describe,
      ...(setupToken ? { setupToken } : {}),
      ...(llm.model ? {} : { llmProblem: llm.problem ?? 'no LLM configured' }),
      schedules: scheduler,
      ...(clusterSchedules ? { clusterSchedules } : {}),
      ...(declaredGuardrails ? { declaredGuardrails } : {}),
      async listen() {
        const address = await app.listen({ port: config.server.port, host: config.server.host });
        // Loading the agent and the MCP catalogue compiles ~0.5 s of modules on this thread; started at once, it would
        // hold up the first requests (health probes, the UI's first page). A request that needs either loads it now.
        warmUp = setTimeout(() => {
          // A first run without a kubeconfig fails here: say so in the start-up log, in the words /health and
          // GET /clusters use, rather than only when someone asks (issue 37 item 1).
          // The listing is then cached for the first page that asks.
          deferredTools
            ?.listTools()
            .then(() => clusterDirectory.list())
            .catch((error: unknown) => {
              if (!closing) app.log.error(clustersUnavailableMessage(error));
            })
            .finally(heapTrim.noteActivity);
          agentService.start();
        }, warmUpDelayMs);
        warmUp.unref();
        auditHeads!.start();
        heapTrim.start();
        // the first beat at once: a tick missed while no engine ran runs now, once
        scheduler.start(overrides.scheduleBeatMs ?? 15_000);
        clusterSchedules?.start(config.server.clusterSchedules!.intervalMs);
        declaredGuardrails?.start(declaredConfig!.intervalMs);
        return address.replace('[::1]', 'localhost');
      },
      close: () =>
        (closing ??= (async () => {
          clearTimeout(warmUp);
          clearInterval(reconciler);
          heapTrim.stop();
          // no more queued alert investigations start here: they wait in the database for the next start
          team.alerts.stop();
          await scheduler.close();
          await clusterSchedules?.close();
          await declaredGuardrails?.close();
          await app.close();
          await team.close();
          await agentService.close();
          await auditHeads?.stop();
          await strayKeySweep?.stop();
          await emergencyStopSignal.close();
          stopRelay?.close();
          await closeOwned();
        })()),
    };
  } catch (error) {
    // Let a database that is still opening finish, so it is closed (and its lock released) rather than leaked.
    await storagePromise?.catch(() => undefined);
    await closeOwned();
    throw error;
  }
}
