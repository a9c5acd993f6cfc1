/**
 * The agent for the composition root (create-engine.ts): the agent service (its dependencies fixed here, its
 * workflow module loaded after listen or on first use), with what it reads of the rest (integrations, guardrails,
 * clusters, passkeys, runbooks, incident memory), and the chat routes.
 */
import type { AgentServiceDeps } from '../app/agent/create-agent-service.ts';
import type { Config } from '../platform/config/index.ts';
import type { SecretBox } from '../platform/crypto/secret-box.ts';
import type { AgentModel } from '../app/graph/run-context.ts';
import type { MountedRoutes } from '../http/app.ts';
import { agentRoutes, type AgentRouteDeps } from '../http/routes/agent/index.ts';
import { createIncidentMemory } from '../app/incident-memory/incident-memory.ts';
import type { IntegrationService } from '../app/integrations/integration-service.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import type { EventBus } from '../platform/ports/index.ts';
import type { EngineStorage } from '../app/graph/checkpoints.ts';
import { deferAgentService } from './startup/deferred-agent-service.ts';
import { loadToolCallInspector } from './startup/lazy-dependencies.ts';

type Needed<K extends keyof AgentServiceDeps> = NonNullable<AgentServiceDeps[K]>;

export interface AgentDeps {
  config: Pick<Config, 'agent' | 'governance'>;
  storage: EngineStorage;
  bus: EventBus;
  /** ours and the external MCP servers' */
  tools: ToolGateway;
  llm: AgentModel;
  integrations: IntegrationService;
  secretBox: SecretBox;
  /** the tool-call inspector's key */
  encryptionKey: Parameters<typeof loadToolCallInspector>[0]['encryptionKey'];
  /** sees every run event (the team features' dispatcher) */
  observeEvent: Needed<'observeEvent'>;
  approvalPolicy: Needed<'approvalPolicy'>;
  guardrails: { policyGate: Needed<'policies'>; emergencyStop: Needed<'emergencyStop'>; emergencyStopSignal: Needed<'emergencyStopSignal'>; freezes: Needed<'freezes'> };
  clusters: Needed<'clusters'> & { enforcement?: Needed<'enforcement'> | undefined };
  passkeys: Needed<'passkeys'>;
  runbooks: Needed<'runbooks'>;
  /** the dependency probes: a new run is refused (503) while one is down */
  dependencies: AgentRouteDeps['dependencies'];
  /** a run's write refused for a full disk marks the disk failing in /health too */
  disk: { classify(error: unknown): Promise<unknown> };
  /** the app's logger, which exists by the time the service loads */
  logger: Needed<'logger'>;
}

export function createAgent(deps: AgentDeps) {
  const { config, storage, bus, tools, integrations, guardrails, clusters } = deps;
  const enforcement = clusters.enforcement;
  // The agent service: its dependencies are fixed here, its workflow module loads after listen (or on first use).
  const service = deferAgentService({
    storage,
    bus,
    tools,
    llm: deps.llm,
    config: config.agent,
    jenkinsIntegration: () => integrations.activeJenkins(),
    observabilitySources: (cluster) => integrations.observabilitySources(cluster),
    grafanaUrl: (cluster) => integrations.grafanaUrl(cluster),
    secretBox: deps.secretBox,
    observeEvent: deps.observeEvent,
    audit: storage.audit,
    approvalPolicy: deps.approvalPolicy,
    policies: guardrails.policyGate,
    emergencyStop: guardrails.emergencyStop,
    emergencyStopSignal: guardrails.emergencyStopSignal,
    freezes: guardrails.freezes,
    clusters: { directory: clusters.directory, policies: clusters.policies },
    scopeOf: async (userId) => (await storage.users.findById(userId))?.scope,
    passkeys: deps.passkeys,
    runbooks: deps.runbooks,
    incidentMemory: createIncidentMemory({ similar: storage.similarConversations, conversations: storage.conversations }),
    ...(config.governance.executeAsApprover ? { executeAsApprover: { groupsByRole: config.governance.impersonationGroups } } : {}),
    ...(enforcement ? { enforcement } : {}),
    // the app's logger, which exists by the time the service loads
    logger: deps.logger,
    // a run's write refused for a full disk marks the disk failing in /health too
    onStorageFailure: (error) => void deps.disk.classify(error).catch(() => undefined),
  }, () => loadToolCallInspector({ encryptionKey: deps.encryptionKey }));
  const routes: MountedRoutes<any>[] = [
    { plugin: agentRoutes, options: { service, bus, tools, runs: storage.runs, config: config.agent, dependencies: deps.dependencies } satisfies AgentRouteDeps },
  ];
  return { service, routes };
}
