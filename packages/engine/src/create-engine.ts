/**
 * The composition root: configuration in, an engine out. It picks the adapters (modules/adapters.ts: PGlite or
 * Postgres, in-process or Redis bus, embedded or remote MCP server, the configured model), builds each capability
 * from modules/ (one file each) in dependency order, mounts their routes (modules/http-app.ts) and lists, in order,
 * what starts once the engine listens and what closes (modules/lifecycle.ts).
 */
import type { FastifyInstance } from 'fastify';
import { verifyEncryptionKey } from './platform/crypto/verify-encryption-key.ts';
import type { Config } from './platform/config/index.ts';
import type { AgentModel } from './app/graph/run-context.ts';
import { liveAgentModel } from './platform/ports/agent-model.ts';
import { markStartup } from './platform/observability/startup-trace.ts';
import { createAccounts, localLoginPolicy } from './modules/accounts.ts';
import { openAdapters } from './modules/adapters.ts';
import { createAgent } from './modules/agent.ts';
import { createAuditHeads, warnIfOwnerLogin } from './modules/audit.ts';
import { createClusters } from './modules/clusters.ts';
import { createDecisionFacts } from './modules/decision-facts.ts';
import type { Engine, EngineOverrides } from './modules/engine.ts';
import { createDeclaredGuardrailSync, createGuardrails } from './modules/guardrails.ts';
import { createHttpApp } from './modules/http-app.ts';
import { createExternalMcpServers, createIntegrations } from './modules/integrations.ts';
import { ownedResources, runInOrder, type LifecycleStep } from './modules/lifecycle.ts';
import { createObservability, lateLogger, watchDatabaseDisk } from './modules/observability.ts';
import { createOrphanedRuns } from './modules/orphaned-runs.ts';
import { createPasskeys, type PasskeysDeps } from './modules/passkeys.ts';
import { openRateLimitRedis } from './modules/rate-limit-redis.ts';
import { createRunbooksModule } from './modules/runbooks.ts';
import { createSchedules } from './modules/schedules.ts';
import { createLlmSettings } from './modules/settings.ts';
import { createTeamFeatures, teamFeaturesConfig } from './modules/team-features.ts';
import { createWarmUp } from './modules/warm-up.ts';

export type { Engine, EngineOverrides } from './modules/engine.ts';

/** How long after listening the engine starts loading the agent and the MCP catalogue in the background. */
const warmUpDelayMs = 500;

export async function createEngine(config: Config, overrides: EngineOverrides = {}): Promise<Engine> {
  const owned = ownedResources();
  // The bus and every module are made before the app, so they log through whichever logger exists by then.
  let engineLog: FastifyInstance['log'] | undefined;
  const log = lateLogger(() => engineLog);
  const resolveHost = overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {};
  try {
    const { storage, rawBus, ownTools, deferredTools, toolStatus, secret, encryptionKey, secretBox, ...adapters } = await openAdapters(config, overrides, { owned, logger: log });
    // The dependency probes, the metrics, the idle heap trim and the instrumented bus (modules/observability.ts).
    const { dependencies, metrics, heapTrim, bus } = createObservability({ storage, rawBus, logger: log });
    // Issue 39 item 4: the MCP servers an admin connected, their tools beside ours behind the same gate. Their cluster
    // must be one of ours, their OAuth client is at the public address (clusters and team are built below; read later).
    const { externalMcp, closers: externalMcpClosers } = createExternalMcpServers({ storage, secretBox, ownTools, ...resolveHost, clusterNames: async () => (await clusters.directory.list()).map((cluster) => cluster.name), publicUrl: () => team.publicUrl.base() });
    owned.add(...externalMcpClosers);
    const tools = externalMcp.tools;
    // Built later than the modules that read them (passkeys right after the team features, whose notifications they use).
    let passkeys: ReturnType<typeof createPasskeys> | undefined;
    let decisionFacts: ReturnType<PasskeysDeps['decisionFacts']>;
    let approverKeyMirror: ReturnType<PasskeysDeps['keyMirror']>;
    // LOCAL_LOGIN=false ends local accounts' passwords, refresh tokens and API tokens, the break-glass admin's excepted
    const localLogin = localLoginPolicy(config.oidc);
    const approvalPolicy = { policy: config.governance.approvalPolicy, fourEyes: config.governance.fourEyes };
    // API tokens, the per-user notification stream and the notifiers (modules/team-features.ts).
    const team = createTeamFeatures({ storage, bus, secretBox, localLogin, logger: log, agent: () => agent.service, passkeys: () => passkeys?.approvals, decisionFacts: () => decisionFacts, policy: approvalPolicy, ...resolveHost, ...teamFeaturesConfig(config) });
    // Passkeys for risky approvals (issue 35); their keys are mirrored to the cluster's executors once those exist.
    const passkeyModule = createPasskeys({ storage, enforcementMode: config.enforcement.mode, secret, publicUrl: () => team.publicUrl.base(), hub: team.hub, keyMirror: () => approverKeyMirror, decisionFacts: () => decisionFacts, clusters: () => clusters.directory.list() });
    passkeys = passkeyModule;
    const accounts = createAccounts({ config, storage, secret, secretBox, localLogin, apiTokens: team.apiTokens, ...(overrides.passwordHasher ? { passwordHasher: overrides.passwordHasher } : {}) });
    const settings = createLlmSettings({ config, storage, secretBox, initial: adapters.selection, createLlmSettingsService: adapters.createLlmSettingsService, languageModels: adapters.languageModels });
    // The first queries (runs that died with the previous process among them: modules/orphaned-runs.ts); an embedded
    // database may still be opening on its own thread, so they run while the app is built and are awaited before.
    const orphanedRuns = createOrphanedRuns({ storage, tools, ownsWholeDatabase: adapters.ownsWholeDatabase, ownsStorage: !overrides.storage, runLeaseMs: config.agent.runLeaseMs, alerts: team.alerts, logger: log });
    const databaseReady = Promise.all([verifyEncryptionKey(storage.settings, secretBox), settings.llmSettings.load(), team.publicUrl.load(), orphanedRuns.reconcileNow(), externalMcp.load()]);
    databaseReady.catch(() => undefined);
    const llm: AgentModel = overrides.llm ?? liveAgentModel(settings.llmSettings);
    // asked when an admin saves a data source for a cluster (the directory is built below; used only later)
    const clusterNames = async () => (await clusters.directory.list({ refresh: true })).map((cluster) => cluster.name);
    const integrations = await createIntegrations({ config, storage, secretBox, ...resolveHost, ...(overrides.checkJenkinsCredentials ? { checkJenkinsCredentials: overrides.checkJenkinsCredentials } : {}), clusterNames, externalMcp, team });
    const rateLimitRedis = await openRateLimitRedis(config.bus);
    if (rateLimitRedis) owned.add(rateLimitRedis.close);
    const auditHeads = createAuditHeads({ storage, signingKeyPem: await adapters.auditSigningKey, intervalMs: (config.storage.auditHeadPublishSeconds ?? 30) * 1000 });
    // Issue 76: policies, freezes and the emergency stop (modules/guardrails.ts).
    const guardrails = await createGuardrails({ config, storage, bus, rawBus, logger: log });
    // Clusters (issue 22) and, where the cluster enforces approvals (issue 34), the enforcement (modules/clusters.ts).
    const clusters = await createClusters({ config, storage, tools, approvalPolicy, passkeyRequirement: (call) => passkeyModule.policies.requirementOf(call), logger: log });
    approverKeyMirror = clusters.enforcement;
    // …and the executors hold the engine's emergency stop too (issue 76: they mint nothing while it is on)
    guardrails.relayTo(clusters.enforcement);
    const scopeOf = async (userId: string) => (await storage.users.findById(userId))?.scope;
    // Every fact a decision reads about a call (issue 74 item 9), for the pending list, the passkey options and the
    // notifications; the agent service gathers its decisions' facts with the same function.
    decisionFacts = createDecisionFacts({ approvalPolicy, storage, scopeOf, toolsReady: () => toolStatus() === 'ready', clusters: () => clusters.directory.list(), passkeys: passkeyModule.approvals, guardrails });
    // Team runbooks (issue 36): RUNBOOKS_DIR and those uploaded in Settings, offered to the model when they match.
    const runbooks = createRunbooksModule({ config, storage, logger: log });
    const disk = watchDatabaseDisk({ ownsWholeDatabase: adapters.ownsWholeDatabase, dataDir: config.storage.dataDir, storage });
    // The agent service: its dependencies are fixed here, its workflow module loads after listen (or on first use).
    const agent = createAgent({ config, storage, bus, tools, llm, integrations: integrations.service, secretBox, encryptionKey, observeEvent: team.observeEvent, approvalPolicy, guardrails, clusters, passkeys: passkeyModule.approvals, runbooks: runbooks.runbooks, dependencies, disk, logger: log });
    // Scheduled checks (issue 81) and an in-cluster install's SkyfloSchedule objects (modules/schedules.ts).
    const schedules = await createSchedules({ config, storage, agent: () => agent.service, admit: async (userId) => app.conversationQuotaFor?.(userId), now: overrides.now ?? Date.now, scopeOf, team, logger: log });
    // Issue 76: SkyfloPolicy/SkyfloFreeze objects (the cluster, with the engine's own identity) and POLICIES_DIR files
    const declaredGuardrails = await createDeclaredGuardrailSync({ config, storage, logger: log });
    // The modules' routes, mounted in this order under /api/v1 after the core ones.
    const routes = [agent, integrations, settings, runbooks, guardrails, schedules, passkeyModule, clusters, team, accounts, auditHeads].flatMap((module) => module.routes);
    const app = await createHttpApp({ config, logger: overrides.logger, rateLimitRedis: rateLimitRedis?.client, metrics, approvalPolicy, decisionFacts, scopeOf, tools, toolStatus, bus, storage, accounts, clusters, emergencyStop: guardrails.emergencyStopView, dependencies, disk, routes });
    engineLog = app.log;
    // every request is activity: the heap is not collected while people use the engine
    app.server.on('request', heapTrim.noteActivity);
    auditHeads.publishWith(app.log);
    warnIfOwnerLogin(config.storage, !overrides.storage, app.log);
    try {
      await databaseReady;
      markStartup('first queries answered');
      clusters.strayKeySweep?.start();
      // Alert investigations a previous process left queued start now (the agent loads on first use).
      void team.alerts.resume().catch((error: unknown) => app.log.error({ err: error }, 'could not resume the queued alert investigations'));
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    orphanedRuns.startBeat();
    const warmUp = createWarmUp({ delayMs: warmUpDelayMs, tools: deferredTools, listClusters: () => clusters.directory.list(), agent: agent.service, onSettled: heapTrim.noteActivity, logger: app.log });
    // Once listening: the warm-up, then the beats (the scheduler's first at once: a tick missed while no engine ran runs now, once).
    const onListen: LifecycleStep[] = [warmUp.start, auditHeads.start, () => heapTrim.start(), () => schedules.start(overrides.scheduleBeatMs ?? 15_000), () => declaredGuardrails?.start(config.server.declaredGuardrails!.intervalMs)];
    // Closing: nothing new starts (timers; queued alert investigations wait in the database for the next start), the
    // schedules and syncs end, the app stops taking requests, the modules let their work settle, the adapters close.
    const onClose: LifecycleStep[] = [warmUp.stop, orphanedRuns.stop, () => heapTrim.stop(), () => team.alerts.stop(), schedules.close, () => declaredGuardrails?.close(), () => app.close(), () => team.close(), () => agent.service.close(), auditHeads.stop, () => clusters.strayKeySweep?.stop(), () => guardrails.close(), owned.close];
    let closing: Promise<void> | undefined;
    return {
      app,
      storage,
      accounts: accounts.accounts,
      integrations: integrations.service,
      llmDescription: overrides.llm ? overrides.llm.modelName : settings.llmSettings.selection().describe,
      ...(accounts.setupToken ? { setupToken: accounts.setupToken } : {}),
      ...(llm.model ? {} : { llmProblem: llm.problem ?? 'no LLM configured' }),
      schedules: schedules.scheduler,
      ...(schedules.clusterSchedules ? { clusterSchedules: schedules.clusterSchedules } : {}),
      ...(declaredGuardrails ? { declaredGuardrails } : {}),
      async listen() {
        const address = await app.listen({ port: config.server.port, host: config.server.host });
        await runInOrder(onListen);
        return address.replace('[::1]', 'localhost');
      },
      close: () => (closing ??= runInOrder(onClose)),
    };
  } catch (error) {
    await owned.abandon();
    throw error;
  }
}
