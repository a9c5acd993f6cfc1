/**
 * Two Postgres roles (issue 19 item 12): the owner role runs the migrations; the serving role the engine runs with
 * may read and write the application's tables but only INSERT and SELECT the audit trail. Why: the append-only
 * triggers of migration 0006 bind only those who cannot `ALTER TABLE … DISABLE TRIGGER`, i.e. anyone but the table's
 * owner (and superusers). A serving role that owned audit_events could disable them, edit a record and recompute
 * the chain, and /audit/verify would call the result intact.
 */
import type pg from 'pg';
import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';

/** What the serving role may do to the audit trail; everything else on it is revoked. */
const auditPrivileges = 'SELECT, INSERT';

export class ServingRoleError extends SkyfloError {
  readonly code = 'SERVING_ROLE_TOO_POWERFUL';

  /** the installation's own set-up is wrong (issue 80 item 4): an operator fixes it; the same start fails again */
  override get category(): ErrorCategory {
    return 'operational';
  }
}

/** Quotes a role name for SQL (roles are identifiers, not parameters). */
const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The role a pool logs in as (`current_user`), read through the serving pool itself. */
export async function servingRoleOf(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ role: string }>('SELECT current_user AS role');
  return rows[0]!.role;
}

/**
 * Run as the owner role after the migrations: the serving role gets the application's tables (and future ones
 * the owner creates) and, on audit_events, SELECT and INSERT only. Idempotent: every start re-applies it, so a
 * migration that adds a table is covered.
 */
export async function grantServingRole(owner: pg.PoolClient, servingRole: string): Promise<void> {
  const role = identifier(servingRole);
  await owner.query('BEGIN');
  try {
    await owner.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await owner.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await owner.query(`REVOKE ALL ON TABLE audit_events FROM ${role}`);
    await owner.query(`GRANT ${auditPrivileges} ON TABLE audit_events TO ${role}`);
    // The chain's head row: an append moves it, nothing else. Not its signed_from (where signatures become
    // mandatory), nor inserting or deleting the row.
    await owner.query(`REVOKE ALL ON TABLE audit_chain_head FROM ${role}`);
    await owner.query(`GRANT SELECT, UPDATE (sequence, prev_hash, hash) ON TABLE audit_chain_head TO ${role}`);
    await owner.query('COMMIT');
  } catch (error) {
    await owner.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Refuses to serve with a role that could rewrite the audit trail although a migration role was given: it owns
 * audit_events (or is a member of the owner role), is a superuser, or (`privileges`, checked after the grants)
 * still holds UPDATE, DELETE or TRUNCATE on it. Checked before granting too, so the owner never revokes its own.
 */
export async function assertServingRoleCannotRewriteAudit(serving: pg.Pool, options: { privileges: boolean } = { privileges: true }): Promise<void> {
  const { rows } = await serving.query<{ role: string; owner: string; member_of_owner: boolean; superuser: boolean; update: boolean; delete: boolean; truncate: boolean }>(
    `SELECT current_user AS role,
            pg_get_userbyid(c.relowner) AS owner,
            pg_has_role(current_user, c.relowner, 'USAGE') AS member_of_owner,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            has_table_privilege(current_user, c.oid, 'UPDATE') AS update,
            has_table_privilege(current_user, c.oid, 'DELETE') AS delete,
            has_table_privilege(current_user, c.oid, 'TRUNCATE') AS truncate
       FROM pg_class c WHERE c.oid = 'audit_events'::regclass`,
  );
  const facts = rows[0]!;
  const problem = facts.superuser
    ? `is a superuser`
    : facts.member_of_owner
      ? `owns audit_events (its owner is "${facts.owner}")`
      : options.privileges && (facts.update || facts.delete || facts.truncate)
        ? `may still ${[facts.update && 'UPDATE', facts.delete && 'DELETE', facts.truncate && 'TRUNCATE'].filter(Boolean).join(', ')} audit_events`
        : undefined;
  if (problem) {
    throw new ServingRoleError(
      `POSTGRES_DATABASE_URL logs in as "${facts.role}", which ${problem}: it could disable the audit trail's triggers and rewrite it. ` +
        'Serve with a role of its own (CREATE ROLE skyflo_app LOGIN PASSWORD …; not a superuser, not the owner) and keep the owner in POSTGRES_MIGRATION_URL.',
    );
  }
}
