/**
 * The ports a tool call's life needs (propose, decide, execute, verify, undo), and nothing else: what the LangGraph
 * adapter (graph/nodes/gate) and the agent service hand in. Split out of the graph's GraphDeps and RunContext so
 * nothing in tool-calls/ imports graph/, agent/ or http/ (scripts/package-boundaries.ts checks it): the graph's own
 * types extend these.
 */
import type { AgentEventPayload, AgentEventType, MemberScope, ObservabilitySources } from '@skyflo/protocol';
import type { AgentConfig } from '../../../platform/config/agent.ts';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ClusterDeps } from '../../clusters/cluster-gate.ts';
import type { ClusterEnforcement } from '../../clusters/enforcement/cluster-enforcement.ts';
import type { JenkinsIntegration } from '../../tools/jenkins-args.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalPolicyName, ApprovalRecord, ApprovalStore, Role } from '../../../platform/ports/index.ts';
import type { ToolCallInspector } from './tool-call-inspector.ts';
import type { PolicyGate } from '../../policies/policy-gate.ts';
import type { EmergencyStop } from '../../emergency-stop/emergency-stop.ts';
import type { EmergencyStopSignal } from '../../emergency-stop/stop-signal.ts';
import type { FreezeService } from '../../freezes/freeze-service.ts';

export type Emit = <T extends AgentEventType>(type: T, payload: AgentEventPayload<T>) => Promise<void>;

/** A tool call the model made that the gate has not finished yet. */
export interface PendingCall {
  callId: string;
  tool: string;
  args: Record<string, unknown>;
  /** set when the call cannot run (unknown tool, malformed arguments): the model is told why */
  invalid?: string;
  /** issue 21: this call is the Undo of that call id; its exact arguments are the inverse sealed with that call's before-state */
  undoOf?: string;
  /**
   * Issue 77 item 2: this call was made by an MCP client outside Skyflo (its name) and handed to the gate by the MCP
   * server it called (propose/propose-external-call.ts); the run that decides it ends after the gate, with no model turn.
   */
  external?: string;
}

/** What the engine provides to every step of a tool call. */
export interface ToolCallDeps {
  tools: ToolGateway;
  approvals: ApprovalStore;
  /** seals the exact arguments of a call awaiting approval (crypto/secret-box.ts) */
  secretBox: SecretBox;
  /** display redaction and risk flags for mutating calls */
  inspector: ToolCallInspector;
  /**
   * EXECUTE_AS_APPROVER: approved calls run as the approver (Kubernetes impersonation), with these groups per role.
   * Absent: they run as the MCP server's own identity.
   */
  executeAsApprover?: { groupsByRole: Partial<Record<Role, string[]>> };
  config: AgentConfig;
  /** the active Jenkins integration; undefined hides the Jenkins tools */
  jenkinsIntegration?: () => Promise<JenkinsIntegration | undefined>;
  /** the Prometheus/Loki data sources of a cluster (issue 36); undefined hides the observability tools */
  observabilitySources?: (cluster: string | undefined) => Promise<ObservabilitySources | undefined>;
  /**
   * Issue 78 item 7: the PromQL query about latency or errors the model ran in a conversation (verify/symptom-check.ts);
   * with a data source, the verification of a change re-asks it before and after. Absent: only the change is verified.
   */
  symptomQuery?: (conversationId: string) => Promise<string | undefined>;
  /** the Grafana in front of a cluster's Prometheus: copied onto the chart for its "Open in Grafana" link, never sent to the MCP server */
  grafanaUrl?: (cluster: string | undefined) => Promise<string | undefined>;
  /** the clusters (issue 22): calls are pinned to the conversation's cluster, scoped, and bound to the cluster's API server */
  clusters?: ClusterDeps;
  /**
   * APPROVAL_POLICY and APPROVAL_FOUR_EYES (the agent service's own): an automatic revert whose inverse would need a
   * second person does not run on its requester's choice (issue 31). Absent: four-eyes is assumed.
   */
  approvalPolicy?: { policy: ApprovalPolicyName; fourEyes: boolean };
  /**
   * Issue 34: approvals the cluster enforces (SKYFLO_APPROVAL_ENFORCEMENT=cluster): decisions mirrored to the cluster's
   * executor, approved calls run with the credential it mints. Absent: the engine alone enforces (today's behaviour).
   */
  enforcement?: ClusterEnforcement;
  /** a user's scope as it is now (issue 22): rechecked right before an approved call runs */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** issue 76: the team's policies, judged on every proposed call; absent: none */
  policies?: PolicyGate;
  /** issue 76: the emergency stop; while it is on, nothing is proposed or executed (reads still run); absent: none */
  emergencyStop?: Pick<EmergencyStop, 'state'>;
  /** issue 76: aborted while the emergency stop is on: ends verifications in progress and the reverts they would start */
  emergencyStopSignal?: Pick<EmergencyStopSignal, 'hold'>;
  /** issue 76: change freezes; a call in scope of one holding now is not proposed or executed; absent: none */
  freezes?: Pick<FreezeService, 'activeFor'>;
}

/** The run a tool call is proposed or executed in: who asked, who decided, its stop signal and its events. */
export interface ToolCallRun {
  runId: string;
  conversationId: string;
  /** a chat run starts from a new user message; a decision run resumes the calls an approval decision unblocked */
  kind: 'chat' | 'decision';
  /**
   * the conversation's owner, who proposes its calls (shown on approval cards); `alert`: this run is an alert
   * investigation and its calls are asked for by that alert receiver, not by the owner (issue 37 item 9)
   */
  requester: { id: string; email?: string; alert?: string; /** issue 81: a scheduled check's run (read-only ones propose nothing) */ schedule?: { name: string; readOnly: boolean } };
  /** who made the decision that started this run (a decision run), for EXECUTE_AS_APPROVER */
  approver?: { id: string; email: string; role: Role };
  /** set once the model has been called in this run: until then, calls pending in the checkpoint are an earlier run's */
  modelCalled?: boolean;
  /** aborted by POST /agent/stop (from any engine process, through the bus) */
  signal: AbortSignal;
  emit: Emit;
  /** approval decisions seen in this run, for tool.awaiting_approval's context */
  decisions: Record<string, boolean>;
  /** the approval record decided by the request that started this run, as the atomic decide returned it */
  decided?: ApprovalRecord;
  /** the execution claim of the call `decided` approved, sent as the run started; gone once a step took it (execute/execution-claim.ts) */
  decidedClaim?: Promise<boolean>;
  /** the cluster the conversation is pinned to (issue 22): a cluster call without `context` runs there */
  cluster?: string;
  /** the clusters and namespaces the requester may touch; absent = everything */
  scope?: MemberScope;
}
