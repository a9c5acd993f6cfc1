/**
 * The composition root: the one place that turns configuration into adapters (PGlite or Postgres, in-process
 * or Redis bus, embedded or remote MCP server, the configured model) and wires them into the HTTP app. Each
 * capability builds its services and routes in modules/ (one file each); this file builds them in dependency order,
 * mounts their routes and owns the engine's start and close.
 */
import type { FastifyInstance } from 'fastify';
import { reconcileOrphanedApprovals } from './domain/tool-calls/execute/reconcile-orphaned-approvals.ts';
import { createSecretBox } from './platform/crypto/secret-box.ts';
import { verifyEncryptionKey } from './platform/crypto/verify-encryption-key.ts';
import type { AgentModel } from './app/graph/run-context.ts';
import { liveAgentModel } from './platform/ports/agent-model.ts';
import type { BusLogger } from './adapters/bus/bus-types.ts';
import { createEventBus } from './adapters/bus/create-event-bus.ts';
import type { Config } from './platform/config/index.ts';
import { buildApp } from './http/app.ts';
import type { ToolGateway } from './platform/ports/tool-gateway.ts';
import { loggerOptions } from './platform/observability/logger-options.ts';
import type { EventBus, PlatformStorage } from './platform/ports/index.ts';
import type { ToolGatewayStatus } from './modules/startup/deferred-tool-gateway.ts';
import { createTeamFeatures } from './modules/team-features.ts';
import { clustersUnavailableMessage } from './domain/clusters/clusters-unavailable.ts';
import { markStartup } from './platform/observability/startup-trace.ts';
import type { DecisionFactsGatherer } from './domain/tool-calls/decide/gather-facts.ts';
import type { ClusterEnforcement } from './domain/clusters/enforcement/cluster-enforcement.ts';
import { createAccounts, localLoginPolicy } from './modules/accounts.ts';
import { createAgent } from './modules/agent.ts';
import { createAuditHeads, warnIfOwnerLogin } from './modules/audit.ts';
import { loadKeys } from './modules/data-dir-keys.ts';
import { createDecisionFacts } from './modules/decision-facts.ts';
import { createClusters } from './modules/clusters.ts';
import { createDeclaredGuardrailSync, createGuardrails } from './modules/guardrails.ts';
import { createExternalMcpServers, createIntegrations } from './modules/integrations.ts';
import { createObservability, lateLogger, watchDatabaseDisk } from './modules/observability.ts';
import { createPasskeys } from './modules/passkeys.ts';
import { openRateLimitRedis } from './modules/rate-limit-redis.ts';
import { createRunbooksModule } from './modules/runbooks.ts';
import { createSchedules } from './modules/schedules.ts';
import { createLlmSettings } from './modules/settings.ts';
import { deferToolGateway } from './modules/tools.ts';
import type { Engine, EngineOverrides } from './modules/engine.ts';

export type { Engine, EngineOverrides } from './modules/engine.ts';

/** How long after listening the engine starts loading the agent and the MCP catalogue in the background. */
const warmUpDelayMs = 500;

export async function createEngine(config: Config, overrides: EngineOverrides = {}): Promise<Engine> {
  const owned: Array<() => Promise<void>> = [];
  const closeOwned = async () => {
    for (const close of owned.reverse()) await close().catch(() => undefined);
  };
  // The bus is made before the app (whose logger it uses), so it logs through whichever logger exists by then; so
  // does every module (they are made before the app too).
  let engineLog: FastifyInstance['log'] | undefined;
  const log = lateLogger(() => engineLog);
  const busLogger: BusLogger = { warn: (object, message) => log.warn(object, message) };
  let storagePromise: Promise<PlatformStorage> | undefined;
  try {
    // Why dynamic imports, started together: storage (PGlite, Drizzle) and the chosen model provider are
    // independent, so their file reads and WASM compile overlap with each other and with opening the database.
    // The agent workflow (LangGraph, AI SDK, the checkpointer) and the MCP server load after the engine listens.
    // The data dir's keys (made on first start) are files of their own: read or written while the database opens.
    const keys = loadKeys(config, overrides.auditSigningKeyPem);
    // Loaded even when a test supplies the model: the settings API describes the environment's model either way.
    const llmModule = import('./adapters/llm/create-language-model.ts');
    const llmSettingsModule = import('./app/llm-settings/llm-settings-service.ts');
    storagePromise = overrides.storage
      ? Promise.resolve(overrides.storage)
      : (overrides.openingStorage ?? import('./adapters/storage/create-storage.ts').then(({ createStorage }) => createStorage(config.storage, { auditSigningKeyPem: keys.auditSigningKey })));
    // Registered for closing as soon as it settles, so a failure elsewhere does not leak an open database.
    storagePromise.then((opened) => (overrides.storage ? undefined : owned.push(() => opened.close())), () => undefined);

    const ownBus = overrides.bus ? undefined : await createEventBus({ redisUrl: config.bus.redisUrl, keyPrefix: config.bus.keyPrefix, bufferTtlSeconds: config.bus.bufferTtlSeconds, logger: busLogger });
    const rawBus: EventBus = overrides.bus ?? ownBus!;
    if (ownBus) owned.push(() => ownBus.close());
    // A bad REDIS_URL stops start-up with the bus's own message (naming REDIS_URL) instead of failing the first chat.
    const busReady = ownBus?.ready();

    const [storage, selection, { createLlmSettingsService }] = await Promise.all([storagePromise, llmModule.then(({ createLanguageModel }) => createLanguageModel(config.llm)), llmSettingsModule, busReady]);
    markStartup('storage and model modules loaded');
    // The dependency probes, the metrics, the idle heap trim and the instrumented bus (modules/observability.ts).
    const { dependencies, metrics, heapTrim, bus } = createObservability({ storage, rawBus, logger: log });

    const deferredTools = overrides.tools ? undefined : deferToolGateway(config);
    const ownTools: ToolGateway = overrides.tools ?? deferredTools!;
    if (deferredTools) owned.push(() => deferredTools.close());
    const toolStatus = (): ToolGatewayStatus => deferredTools?.status() ?? 'ready';

    const secret = await keys.jwtSecret;
    const encryptionKey = await keys.encryptionKey;
    const secretBox = createSecretBox(encryptionKey);
    // Issue 39 item 4: the MCP servers an admin connected, their tools beside ours behind the same gate.
    // an external server's declared cluster must be one of ours (the directory exists by the time an admin adds one)
    // its OAuth client id (CIMD) and redirect URI are at the public address (team is built below; read when used)
    const { externalMcp, closers: externalMcpClosers } = createExternalMcpServers({ storage, secretBox, ownTools, ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}), clusterNames: async () => (await clusters.directory.list()).map((cluster) => cluster.name), publicUrl: () => team.publicUrl.base() });
    owned.push(...externalMcpClosers);
    const tools = externalMcp.tools;
    // Passkeys for risky approvals (issue 35): made right after the team features, whose notifications they use.
    let passkeys: ReturnType<typeof createPasskeys> | undefined;
    // LOCAL_LOGIN=false ends local accounts' passwords, refresh tokens and API tokens, the break-glass admin's excepted
    const localLogin = localLoginPolicy(config.oidc);
    let decisionFacts: DecisionFactsGatherer | undefined;
    const approvalPolicy = { policy: config.governance.approvalPolicy, fourEyes: config.governance.fourEyes };
    // API tokens, the per-user notification stream and the notifiers (modules/team-features.ts).
    const team = createTeamFeatures({
      storage, bus, secretBox, localLogin, logger: log,
      agent: () => agent.service, passkeys: () => passkeys?.approvals, decisionFacts: () => decisionFacts,
      policy: approvalPolicy, heartbeatMs: config.agent.heartbeatMs,
      ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}), ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}),
      ...(config.integrations.teamsOpenIdMetadataUrl ? { teamsOpenIdMetadataUrl: config.integrations.teamsOpenIdMetadataUrl } : {}),
      alertConcurrency: config.integrations.alertMaxConcurrentInvestigations, alertQueueLimit: config.integrations.alertQueueLimit, alertReinvestigate: config.integrations.alertReinvestigate,
      ...(config.integrations.pagerDuty ? { pagerDuty: config.integrations.pagerDuty } : {}),
    });
    // the cluster enforcement exists a little later; passkey keys are mirrored to its executors once it does
    let approverKeyMirror: ClusterEnforcement | undefined;
    const passkeyModule = createPasskeys({ storage, enforcementMode: config.enforcement.mode, secret, publicUrl: () => team.publicUrl.base(), hub: team.hub, keyMirror: () => approverKeyMirror, decisionFacts: () => decisionFacts, clusters: () => clusters.directory.list() });
    passkeys = passkeyModule;
    const accounts = createAccounts({ config, storage, secret, secretBox, localLogin, apiTokens: team.apiTokens, ...(overrides.passwordHasher ? { passwordHasher: overrides.passwordHasher } : {}) });
    const settings = createLlmSettings({ config, storage, secretBox, initial: selection, createLlmSettingsService, languageModels: await llmModule });
    const { llmSettings } = settings;
    // The first queries; an embedded database may still be opening on its own thread (storage/pglite-thread), so
    // they run while the app is built, and are awaited before the engine is returned.
    // Calls whose run died with the previous process are closed before the engine listens, so a conversation opened
    // right after a restart never shows one "executing" (PGlite: this process holds the data dir's lock, so every
    // run still marked running is dead; Postgres: those whose lease lapsed, and again below as leases lapse).
    const ownsWholeDatabase = !config.storage.postgresUrl && !overrides.storage;
    const reconcile = (everyRunIsDead: boolean) => reconcileOrphanedApprovals({ storage, tools, logger: log, everyRunIsDead });
    const databaseReady = Promise.all([verifyEncryptionKey(storage.settings, secretBox), llmSettings.load(), team.publicUrl.load(), reconcile(ownsWholeDatabase), externalMcp.load()]);
    databaseReady.catch(() => undefined);
    const llm: AgentModel = overrides.llm ?? liveAgentModel(llmSettings);

    // asked when an admin saves a data source for a cluster (the directory is built below; used only later)
    const clusterNames = async () => (await clusters.directory.list({ refresh: true })).map((cluster) => cluster.name);
    const integrations = await createIntegrations({ config, storage, secretBox, ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}), ...(overrides.checkJenkinsCredentials ? { checkJenkinsCredentials: overrides.checkJenkinsCredentials } : {}), clusterNames, externalMcp, team });

    const rateLimitRedis = await openRateLimitRedis(config.bus);
    if (rateLimitRedis) owned.push(rateLimitRedis.close);

    const auditHeads = createAuditHeads({ storage, signingKeyPem: await keys.auditSigningKey, intervalMs: (config.storage.auditHeadPublishSeconds ?? 30) * 1000 });
    // Issue 76: policies, freezes and the emergency stop (modules/guardrails.ts).
    const guardrails = await createGuardrails({ config, storage, bus, rawBus, logger: log });
    // Clusters (issue 22) and, where the cluster enforces approvals (issue 34), the enforcement (modules/clusters.ts).
    const clusters = await createClusters({ config, storage, tools, approvalPolicy, passkeyRequirement: (call) => passkeyModule.policies.requirementOf(call), logger: log });
    const { enforcement, strayKeySweep } = clusters;
    approverKeyMirror = enforcement;
    // …and the executors hold the engine's emergency stop too (issue 76: they mint nothing while it is on)
    guardrails.relayTo(enforcement);
    const scopeOf = async (userId: string) => (await storage.users.findById(userId))?.scope;
    // Every fact a decision reads about a call (issue 74 item 9), for the pending list, the passkey options and the
    // notifications; the agent service gathers its decisions' facts with the same function.
    decisionFacts = createDecisionFacts({ approvalPolicy, storage, scopeOf, toolsReady: () => toolStatus() === 'ready', clusters: () => clusters.directory.list(), passkeys: passkeyModule.approvals, guardrails });
    // Team runbooks (issue 36): RUNBOOKS_DIR and those uploaded in Settings, offered to the model when they match.
    const runbooks = createRunbooksModule({ config, storage, logger: log });
    const diskWatch = watchDatabaseDisk({ ownsWholeDatabase, dataDir: config.storage.dataDir, storage });
    // The agent service: its dependencies are fixed here, its workflow module loads after listen (or on first use).
    const agent = createAgent({ config, storage, bus, tools, llm, integrations: integrations.service, secretBox, encryptionKey, observeEvent: team.observeEvent, approvalPolicy, guardrails, clusters, passkeys: passkeyModule.approvals, runbooks: runbooks.runbooks, dependencies, disk: diskWatch, logger: log });
    const agentService = agent.service;
    // Scheduled checks (issue 81) and an in-cluster install's SkyfloSchedule objects (modules/schedules.ts).
    const schedulerNow = overrides.now ?? Date.now;
    const schedules = await createSchedules({ config, storage, agent: () => agentService, admit: async (userId) => app.conversationQuotaFor?.(userId), now: schedulerNow, scopeOf, team, logger: log });
    // Issue 76: SkyfloPolicy/SkyfloFreeze objects (the cluster, with the engine's own identity) and POLICIES_DIR files
    const declaredGuardrails = await createDeclaredGuardrailSync({ config, storage, logger: log });
    markStartup('building the app');
    const app = await buildApp({
      server: config.server,
      limits: config.limits,
      ...(rateLimitRedis ? { rateLimitRedis: rateLimitRedis.client } : {}),
      metrics: { metrics, ...(config.observability.metricsToken ? { token: config.observability.metricsToken } : {}) },
      modelPrices: config.analytics.modelPrices,
      approvalPolicy,
      decisionFacts,
      scopeOf,
      // the pending list titles calls as the chat's card does; while the MCP server loads, by the tool's name
      toolTitles: async () => (toolStatus() === 'ready' ? new Map((await tools.listTools()).map((tool) => [tool.name, tool.title])) : new Map()),
      bus,
      stopRuns: async (runIds) => void (await Promise.all(runIds.map((runId) => bus.requestStop(runId)))),
      storage,
      accounts: accounts.accounts,
      accessTokenTtlSeconds: accounts.accessTokens.ttlSeconds,
      logger: overrides.logger ?? (await loggerOptions(config.server)),
      // Liveness stays `status: "ok"` while the MCP server loads; readiness of the tools is its own field.
      readiness: () => ({ mcp: toolStatus() }),
      // only once the MCP server is up: a health probe never starts it (cold start stays cheap)
      clusterHealth: async () => (toolStatus() === 'ready' ? clusters.health() : undefined),
      emergencyStop: guardrails.emergencyStopView,
      dependencies,
      // the embedded database lives in the data dir: a full disk there is named (507 STORAGE_FULL, /health degraded)
      disk: diskWatch,
      routes: [...agent.routes, ...integrations.routes, ...settings.routes, ...runbooks.routes, ...guardrails.routes, ...schedules.routes, ...passkeyModule.routes, ...clusters.routes, ...team.routes, ...accounts.routes, ...auditHeads.routes],
    });
    markStartup('app built');
    engineLog = app.log;
    // every request is activity: the heap is not collected while people use the engine
    app.server.on('request', heapTrim.noteActivity);
    auditHeads.publishWith(app.log);
    warnIfOwnerLogin(config.storage, !overrides.storage, app.log);
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
      accounts: accounts.accounts,
      integrations: integrations.service,
      llmDescription: overrides.llm ? overrides.llm.modelName : llmSettings.selection().describe,
      ...(accounts.setupToken ? { setupToken: accounts.setupToken } : {}),
      ...(llm.model ? {} : { llmProblem: llm.problem ?? 'no LLM configured' }),
      schedules: schedules.scheduler,
      ...(schedules.clusterSchedules ? { clusterSchedules: schedules.clusterSchedules } : {}),
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
            .then(() => clusters.directory.list())
            .catch((error: unknown) => {
              if (!closing) app.log.error(clustersUnavailableMessage(error));
            })
            .finally(heapTrim.noteActivity);
          agentService.start();
        }, warmUpDelayMs);
        warmUp.unref();
        auditHeads.start();
        heapTrim.start();
        // the first beat at once: a tick missed while no engine ran runs now, once
        schedules.start(overrides.scheduleBeatMs ?? 15_000);
        declaredGuardrails?.start(config.server.declaredGuardrails!.intervalMs);
        return address.replace('[::1]', 'localhost');
      },
      close: () =>
        (closing ??= (async () => {
          clearTimeout(warmUp);
          clearInterval(reconciler);
          heapTrim.stop();
          // no more queued alert investigations start here: they wait in the database for the next start
          team.alerts.stop();
          await schedules.close();
          await declaredGuardrails?.close();
          await app.close();
          await team.close();
          await agentService.close();
          await auditHeads.stop();
          await strayKeySweep?.stop();
          await guardrails.close();
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
