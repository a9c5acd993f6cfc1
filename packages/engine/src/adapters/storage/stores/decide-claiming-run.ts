/**
 * An approval's decision and its run's claim as ONE statement (issue 38 goal 5): the run that acts on the decision
 * claims the conversation (within the user's limit of running runs), the call moves awaiting → approved/denied, and
 * the decision's audit record is appended, committed together or not at all. Before, the claim was a statement of
 * its own ahead of the decision: on PGlite, whose one database thread every run of the process shares, one more
 * round trip on the path from the approval's POST to `tool.executing`.
 * The decision happens only if the claim did (the update's WHERE reads the claim's CTE), so a refused claim writes
 * nothing and the caller takes the long way (conversation-runs.ts: waits for a stopped run, frees a lapsed lease,
 * answers 409/429). A claim whose decision finds the call no longer awaiting (decided meanwhile) is left for the
 * caller to release, as after a separate claim.
 * On PGlite one statement is atomic against every other; on Postgres the caller wraps it in the transaction holding
 * the per-user advisory lock the run store takes (run-store.ts).
 * The text is rendered once per shape (rendered-statements.ts): it was the engine's largest to render per call.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { AuditRecordSigner } from '../../../platform/crypto/audit-record-signer.ts';
import type { DecisionInput, RunClaimInput } from '../../../platform/ports/index.ts';
import { auditAppendCtes, auditChainReady, auditValues, prepareAuditRecord } from './audit-append.ts';
import type { SkyfloDatabase } from '../database.ts';
import { param, renderedOnce } from '../rendered-statements.ts';
import { leaseFromNow, runningRunsOf } from './run-store.ts';

/**
 * The decision's UPDATE … RETURNING of shape `shape` over placeholders (as approval-store.ts builds it, its values
 * named as there: `conversation_id`, `decision_run_id`, …), with `condition` added to its WHERE.
 */
export type DecisionUpdate<Shape extends string> = (condition: SQL, shape: Shape) => SQL | { getSQL(): SQL };

export type DecideClaimingRunOutcome = { claimed: false } | { claimed: true; decided: Record<string, unknown> | undefined };

/** The statement for the store's decision update; run it with a decision's shape and the update's values. */
export function decideClaimingRunStatement<Shape extends string>(decision: DecisionUpdate<Shape>) {
  const statement = renderedOnce<{ decision: Shape; audited: boolean }>(
    ({ decision: shape, audited }) => sql`WITH run AS (
        INSERT INTO runs (run_id, conversation_id, user_id, lease_until)
        SELECT ${param('decision_run_id')}::uuid, ${param('conversation_id')}::uuid, ${param('claim_user_id')}::uuid, ${leaseFromNow(param('claim_lease_ms'))}
         WHERE ${runningRunsOf(param('claim_user_id'))} < ${param('claim_max_running')}${
           // Without the audit chain's head row nothing is claimed (so nothing decided): the long way then reports
           // it, as a decision alone does (auditedChange), instead of the decision committing unrecorded.
           audited ? sql` AND ${auditChainReady}` : sql``
         }
        ON CONFLICT DO NOTHING
        RETURNING run_id),
      changed AS (${decision(sql`EXISTS (SELECT 1 FROM run)`, shape).getSQL()})${audited ? sql`, ${auditAppendCtes(sql`EXISTS (SELECT 1 FROM changed)`)}` : sql``}
      SELECT (SELECT count(*) FROM run)::int AS claimed_run, changed.* FROM (SELECT 1) AS one LEFT JOIN changed ON true`,
    ({ decision: shape, audited }) => `${shape}${audited ? '+audit' : ''}`,
  );

  return async (
    db: SkyfloDatabase,
    input: DecisionInput & { claim: RunClaimInput },
    shape: Shape,
    values: Record<string, unknown>,
    signer: AuditRecordSigner | undefined,
  ): Promise<DecideClaimingRunOutcome> => {
    const { claim } = input;
    const record = input.audit ? prepareAuditRecord(input.audit, signer) : undefined;
    const rows = await statement.rows<Record<string, unknown> & { claimed_run: number }>(
      db,
      { ...values, claim_user_id: claim.userId, claim_lease_ms: claim.leaseMs, claim_max_running: claim.maxRunningPerUser, ...(record ? auditValues(record) : {}) },
      { decision: shape, audited: record !== undefined },
    );
    const row = rows[0];
    if (!row || Number(row.claimed_run) === 0) return { claimed: false };
    return { claimed: true, decided: row['call_id'] === null || row['call_id'] === undefined ? undefined : row };
  };
}
