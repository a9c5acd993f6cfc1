/**
 * The typed client's routes for issue 76's guardrails: policies as code (and "what would this have done"), change
 * freezes and the emergency stop. Each answer is checked with its protocol schema like every other answer.
 */
import type { EmergencyStopStateView, FreezeInput, FreezeView, Policy, PolicyEffect, PolicyEvaluateResponse, PolicyInput } from '../policies.ts';
import type { RouteCaller } from './workspace-routes.ts';

export interface GuardrailRoutes {
  /** GET /policies (admin) */
  policies(): Promise<{ data: Policy[] }>;
  /** POST /policies (admin): a broken expression is refused (400 INVALID_EXPRESSION, with its position) */
  createPolicy(input: PolicyInput): Promise<Policy>;
  /** PUT /policies/:id (admin): the version increments */
  updatePolicy(policyId: string, input: PolicyInput): Promise<Policy>;
  deletePolicy(policyId: string): Promise<void>;
  /** POST /policies/evaluate (admin): the draft over the last `limit` recorded calls */
  evaluatePolicy(input: { expression: string; effect?: PolicyEffect; limit?: number }): Promise<PolicyEvaluateResponse>;
  /** GET /freezes (anyone signed in) */
  freezes(): Promise<{ data: FreezeView[] }>;
  /** POST /freezes (admin) */
  createFreeze(input: FreezeInput): Promise<FreezeView>;
  deleteFreeze(freezeId: string): Promise<void>;
  /** GET /emergency-stop (anyone signed in) */
  emergencyStop(): Promise<EmergencyStopStateView>;
  /** POST /emergency-stop (admin) */
  engageEmergencyStop(reason: string): Promise<EmergencyStopStateView>;
  /** DELETE /emergency-stop (admin) */
  liftEmergencyStop(): Promise<EmergencyStopStateView>;
}

const id = (value: string) => encodeURIComponent(value);

export function guardrailRoutes({ json, none }: RouteCaller): GuardrailRoutes {
  return {
    policies: () => json({ method: 'GET', path: '/policies' }, (p) => p.policyListSchema),
    createPolicy: (input) => json({ method: 'POST', path: '/policies', json: input }, (p) => p.policySchema),
    updatePolicy: (policyId, input) => json({ method: 'PUT', path: `/policies/${id(policyId)}`, json: input }, (p) => p.policySchema),
    deletePolicy: (policyId) => none({ method: 'DELETE', path: `/policies/${id(policyId)}` }),
    evaluatePolicy: (input) => json({ method: 'POST', path: '/policies/evaluate', json: input }, (p) => p.policyEvaluateResponseSchema),
    freezes: () => json({ method: 'GET', path: '/freezes' }, (p) => p.freezeListSchema),
    createFreeze: (input) => json({ method: 'POST', path: '/freezes', json: input }, (p) => p.freezeSchema),
    deleteFreeze: (freezeId) => none({ method: 'DELETE', path: `/freezes/${id(freezeId)}` }),
    emergencyStop: () => json({ method: 'GET', path: '/emergency-stop' }, (p) => p.emergencyStopStateSchema),
    engageEmergencyStop: (reason) => json({ method: 'POST', path: '/emergency-stop', json: { reason } }, (p) => p.emergencyStopStateSchema),
    liftEmergencyStop: () => json({ method: 'DELETE', path: '/emergency-stop' }, (p) => p.emergencyStopStateSchema),
  };
}
