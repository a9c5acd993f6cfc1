/**
 * The engine's client of one cluster's executor (issue 34): mirrors a decision (`POST /v1/approvals`), asks for the
 * approval's credential and releases it. Every answer is parsed with the protocol's schemas; anything else — the
 * executor down, a refusal, an unexpected body — is an ExecutorRequestError whose message says what happened, so the
 * gate can fail closed with a clear text.
 */
import { approvalCredentialSchema, approverKeyListSchema, executorErrorSchema, type ApprovalCredential, type ApprovalCredentialRequest, type ApproverKey, type ExecutorError, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';

export type ExecutorErrorCode = ExecutorError['code'] | 'UNREACHABLE' | 'BAD_RESPONSE';

export class ExecutorRequestError extends SkyfloError {
  readonly code: ExecutorErrorCode;

  /** a dependency failed (issue 80 item 4): an operator's matter, and it may pass */
  override get category(): ErrorCategory {
    return 'operational';
  }

  override get retryable(): boolean {
    return this.code === 'UNREACHABLE';
  }

  constructor(code: ExecutorErrorCode, message: string) {
    super(message);
    this.name = 'ExecutorRequestError';
    this.code = code;
  }
}

export interface ExecutorClient {
  readonly url: string;
  /** Records the decision as a SkyfloApproval; an existing, different decided one is refused (IMMUTABLE). */
  mirror(document: SkyfloApprovalDocument): Promise<void>;
  /** Issue 73: the executor computes what the call writes from `request` (the exact arguments) and grants only that. */
  mint(name: string, request: ApprovalCredentialRequest): Promise<ApprovalCredential>;
  release(name: string): Promise<void>;
  /** Issue 35: a passkey's public key the executor checks approvers' signatures against (an immutable SkyfloApproverKey). */
  registerApproverKey(key: ApproverKey): Promise<void>;
  removeApproverKey(credentialId: string): Promise<void>;
  /** The keys the executor holds (GET /v1/approver-keys), for the stray key sweep. */
  listApproverKeys(): Promise<ApproverKey[]>;
  /** Issue 76: the engine's emergency stop (PUT /v1/emergency-stop): on, the executor mints nothing. */
  announceEmergencyStop(stop: EmergencyStopAnnouncement): Promise<void>;
}

/** The engine's emergency stop as an executor learns it (on: who, why, since). */
export type EmergencyStopAnnouncement = { active: true; reason: string; by: string; since: string } | { active: false };

/** How long one executor request may take: the executor creates a few RBAC objects and a token. */
const requestTimeoutMs = 15_000;

export function createExecutorClient(options: { url: string; token: string; fetch?: typeof fetch; timeoutMs?: number }): ExecutorClient {
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetch ?? fetch;

  async function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await send(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${options.token}`, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new ExecutorRequestError('UNREACHABLE', `the cluster's approval executor at ${base} could not be reached (${cause})`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = executorErrorSchema.safeParse(json);
      if (parsed.success) throw new ExecutorRequestError(parsed.data.code, `the cluster's approval executor refused: ${parsed.data.message}`);
      throw new ExecutorRequestError('BAD_RESPONSE', `the cluster's approval executor at ${base} answered HTTP ${response.status} without an explanation`);
    }
    return { status: response.status, json };
  }

  return {
    url: base,
    async mirror(document) {
      await request('POST', '/v1/approvals', document);
    },
    async mint(name, body) {
      const { json } = await request('POST', `/v1/approvals/${encodeURIComponent(name)}/credential`, body);
      const parsed = approvalCredentialSchema.safeParse(json);
      if (!parsed.success) throw new ExecutorRequestError('BAD_RESPONSE', `the cluster's approval executor at ${base} answered the credential request with something that is not a credential`);
      return parsed.data;
    },
    async release(name) {
      await request('DELETE', `/v1/approvals/${encodeURIComponent(name)}/credential`);
    },
    async registerApproverKey(key) {
      await request('POST', '/v1/approver-keys', key);
    },
    async removeApproverKey(credentialId) {
      await request('DELETE', `/v1/approver-keys/${encodeURIComponent(credentialId)}`);
    },
    async announceEmergencyStop(stop) {
      await request('PUT', '/v1/emergency-stop', stop);
    },
    async listApproverKeys() {
      const { json } = await request('GET', '/v1/approver-keys');
      const parsed = approverKeyListSchema.safeParse(json);
      if (!parsed.success) throw new ExecutorRequestError('BAD_RESPONSE', `the cluster's approval executor at ${base} answered the key listing with something that is not a list of approver keys`);
      return parsed.data.keys;
    },
  };
}
