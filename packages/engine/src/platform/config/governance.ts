/** Who may approve what, and as whom approved calls run. Parsed once by config/index.ts. */
import { z } from 'zod';
import { booleanFlag } from './boolean-flag.ts';

const groupsByRole = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON such as {"admin":["skyflo:admins"],"approver":["skyflo:approvers"]}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.enum(['admin', 'approver', 'member'], { error: 'keys must be roles: admin, approver, member' }), z.array(z.string().min(1))));

const clusterLabels = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON such as {"prod":{"env":"prod"}}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), z.record(z.string().min(1), z.string())));

export const governanceConfigSchema = z
  .object({
    /**
     * Who decides a mutating call: `self` (the person who asked, Skyflo's behaviour) or `approver` (only users with
     * the approver or admin role, who may decide calls in conversations they do not own).
     */
    APPROVAL_POLICY: z.enum(['self', 'approver'], { error: 'must be self or approver' }).default('self'),
    /** Four-eyes for destructive tools (destructiveHint: true): the person who asked may not also approve. */
    APPROVAL_FOUR_EYES: booleanFlag.default(false),
    /**
     * Run approved mutations as the approver: Kubernetes impersonation (Impersonate-User: the approver's email,
     * groups from IMPERSONATION_GROUPS), so the cluster's own RBAC decides and its audit log names the human.
     * The MCP server's identity then needs the `impersonate` verb.
     */
    EXECUTE_AS_APPROVER: booleanFlag.default(false),
    /** Kubernetes groups sent with impersonation, by Skyflo role (JSON). */
    IMPERSONATION_GROUPS: groupsByRole.default({ admin: ['skyflo:admins'], approver: ['skyflo:approvers'], member: ['skyflo:members'] }),
    /** Issue 76: labels policies see on each cluster, by cluster name (JSON): {"prod":{"env":"prod"}} → cluster.labels.env */
    CLUSTER_LABELS: clusterLabels.default({}),
  })
  .transform((env) => ({
    approvalPolicy: env.APPROVAL_POLICY,
    fourEyes: env.APPROVAL_FOUR_EYES,
    executeAsApprover: env.EXECUTE_AS_APPROVER,
    impersonationGroups: env.IMPERSONATION_GROUPS as Partial<Record<'admin' | 'approver' | 'member', string[]>>,
    clusterLabels: env.CLUSTER_LABELS as Record<string, Record<string, string>>,
  }));

export type GovernanceConfig = z.output<typeof governanceConfigSchema>;
