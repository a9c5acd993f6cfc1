/**
 * What the composition root (create-engine.ts) takes besides the configuration, and the engine it returns.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { AccountService } from '../app/accounts/account-service.ts';
import type { PasswordHasher } from '../app/accounts/password-hasher.ts';
import type { DeclaredGuardrails } from '../app/declared/declared-guardrails.ts';
import type { AgentModel } from '../app/graph/run-context.ts';
import type { CheckJenkinsCredentials } from '../app/integrations/check-jenkins-credentials.ts';
import type { IntegrationService } from '../app/integrations/integration-service.ts';
import type { ResolveHost } from '../app/integrations/integration-url-guard.ts';
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import type { EventBus } from '../platform/ports/index.ts';
import type { EngineStorage } from '../app/graph/checkpoints.ts';
import type { ClusterScheduleSync } from '../app/schedules/cluster-schedules.ts';
import type { Scheduler } from '../app/schedules/scheduler.ts';

export interface EngineOverrides {
  /** storage the caller owns and closes */
  storage?: EngineStorage;
  /**
   * storage this engine owns (and closes), already opening: runServer starts the database before it loads the
   * engine's modules, so the two overlap
   */
  openingStorage?: Promise<EngineStorage>;
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
  storage: EngineStorage;
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
