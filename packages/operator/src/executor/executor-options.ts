/**
 * The executor's options, its error type and the names it gives what it creates (issue 34). The executor is the one
 * identity in a cluster that may create per-approval credentials; everything it needs arrives through these options
 * (no environment reads here: `skyflo executor` turns flags and env into them, tests pass them directly).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ApproverSignatureRequirement, ExecutorError as ExecutorErrorBody, RoleMembers } from '@skyflo/protocol';

/** The subset of pino the executor uses (the CLI passes a JSON-lines logger; tests usually pass none). */
export interface ExecutorLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ExecutorOptions {
  /** the EXECUTOR's own identity (ServiceAccount skyflo-executor in a pod; a token kubeconfig in tests) */
  kubeConfig: KubeConfig;
  /** the install's namespace: SkyfloApprovals and the per-approval ServiceAccounts live here */
  namespace: string;
  /** SPKI PEM Ed25519 public keys of the engine(s) whose signatures are accepted (several during a key rotation) */
  enginePublicKeys: string[];
  /** the bearer the engine must present on /v1/approvals*, /v1/approver-keys* (SKYFLO_EXECUTOR_TOKEN) */
  callerToken: string;
  /**
   * Issue 73: the cluster this executor guards, as the engine names it (a kubeconfig context name, or `in-cluster` for
   * the engine's own): an approval signed for another cluster mints nothing here. Default `in-cluster`.
   */
  clusterName?: string;
  /**
   * the MCP server's own bearer, which opens POST /v1/dry-run and nothing else (SKYFLO_DRY_RUN_TOKEN); absent: the
   * dry-run proxy answers nobody (the engine's token never opens it)
   */
  dryRunToken?: string;
  /**
   * what the API server presents to the admission webhook, from its AdmissionConfiguration's webhook kubeconfig
   * (SKYFLO_EXECUTOR_ADMISSION_TOKEN). Set: /v1/admission answers only that bearer. Absent: it answers anyone (a stock
   * API server sends no credential), and refusals then reveal nothing about which approvals exist.
   */
  admissionToken?: string;
  /**
   * Issue 73 item 6: the helm 3 binary the executor renders Helm previews with, as its own identity (POST
   * /v1/helm/render, SKYFLO_EXECUTOR_HELM_PATH). Absent: that endpoint answers UNSUPPORTED, and a Helm call is minted
   * for only when the engine sends the full rendered manifest (a cluster whose MCP server may read release storage).
   */
  helmPath?: string;
  /** the namespaces this executor may grant access in; absent = cluster-wide (cluster-scoped objects too) */
  allowedNamespaces?: string[];
  /** default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port (tests) */
  port?: number;
  /** serve HTTPS (the API server calls admission webhooks over HTTPS only) */
  tls?: { certPem: string; keyPem: string };
  /** how often leftovers past their expiry are removed; default 60 s */
  sweepIntervalMs?: number;
  logger?: ExecutorLogger;
  /**
   * Issue 35: which approvals need the approver's own passkey proof before a credential is minted besides those the
   * approval itself marks (status.approverSignatureRequired: always checked) — the executor's own setting, which the
   * engine cannot lower (SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE; default none). `rpId`/`origin` are the Command
   * Center's WebAuthn relying party (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID / _ORIGIN), required unless `none`; without them a
   * passkey is checked for the relying party recorded with its SkyfloApproverKey.
   */
  approverSignature?: { require: ApproverSignatureRequirement; rpId?: string; origin?: string };
  /**
   * Issue 76: the labels SkyfloPolicy expressions see as `cluster.labels` (the engine's CLUSTER_LABELS entry for this
   * cluster); default none.
   */
  clusterLabels?: Record<string, string>;
  /** Issue 76: who holds each role when a require_role SkyfloPolicy matches (SKYFLO_EXECUTOR_ROLE_MEMBERS); unset: nobody here */
  roleMembers?: RoleMembers;
  /** the executor's clock (tests); default real time */
  now?: () => Date;
}

export type ExecutorErrorCode = ExecutorErrorBody['code'];

const httpStatus: Record<ExecutorErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INVALID: 400,
  NOT_FOUND: 404,
  BAD_SIGNATURE: 403,
  NOT_APPROVED: 403,
  EXPIRED: 403,
  IMMUTABLE: 409,
  ALREADY_MINTED: 409,
  UNSUPPORTED: 422,
  MINT_FAILED: 502,
  APPROVER_SIGNATURE: 403,
  // issue 76: the cluster's own emergency stop (an annotation on the SkyfloAI object) is on
  EMERGENCY_STOP: 423,
  // issue 76: a SkyfloPolicy denies the call (or asks what the executor cannot confirm, or cannot be read)
  POLICY_DENIED: 403,
  // issue 76: a SkyfloFreeze holds for the call's cluster and namespaces
  FROZEN: 423,
};

/** Every refusal of the executor: a code from the protocol, a message saying what was wrong and what to do. */
export class ExecutorError extends Error {
  readonly code: ExecutorErrorCode;
  readonly status: number;
  constructor(code: ExecutorErrorCode, message: string) {
    super(message);
    this.name = 'ExecutorError';
    this.code = code;
    this.status = httpStatus[code];
  }
  toBody(): ExecutorErrorBody {
    return { code: this.code, message: this.message };
  }
}

export const silentLogger: ExecutorLogger = { info() {}, warn() {}, error() {} };

/** Labels and annotations on everything the executor creates, so a reviewer (and the sweep) can find it. */
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'skyflo-executor';
export const approvalLabel = 'skyflo.ai/approval';
/** ISO 8601: after this the sweep deletes the account and its roles (a crash left them) */
export const expiresAtAnnotation = 'skyflo.ai/expires-at';
/** comma list of the namespaces holding this approval's Roles/RoleBindings */
export const namespacesAnnotation = 'skyflo.ai/namespaces';
/** "true" when a ClusterRole/ClusterRoleBinding was created too */
export const clusterScopedAnnotation = 'skyflo.ai/cluster-scoped';
/** on the SkyfloApproval: when its credential was released; an approval is good for one call */
export const credentialReleasedAnnotation = 'skyflo.ai/credential-released-at';
