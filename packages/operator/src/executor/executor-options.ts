/**
 * The executor's options, its error type and the names it gives what it creates (issue 34). The executor is the one
 * identity in a cluster that may create per-approval credentials; everything it needs arrives through these options
 * (no environment reads here: `skyflo executor` turns flags and env into them, tests pass them directly).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ApproverSignatureRequirement, ExecutorError as ExecutorErrorBody } from '@skyflo/protocol';

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
  /** the bearer the engine must present on /v1/approvals* */
  callerToken: string;
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
  /** the executor's clock (tests); default real time */
  now?: () => Date;
}

export type ExecutorErrorCode = ExecutorErrorBody['code'];

const httpStatus: Record<ExecutorErrorCode, number> = {
  UNAUTHORIZED: 401,
  INVALID: 400,
  NOT_FOUND: 404,
  BAD_SIGNATURE: 403,
  NOT_APPROVED: 403,
  EXPIRED: 403,
  IMMUTABLE: 409,
  MINT_FAILED: 502,
  APPROVER_SIGNATURE: 403,
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
