import { describe, expect, it } from 'vitest';
import { createServerDiskWatch } from './disk-full.ts';

/** What node-postgres throws for a write Postgres refuses because its disk is full (SQLSTATE 53100). */
const diskFull = () => Object.assign(new Error('could not extend file "pg_tblspc/16385/PG_16_202307071/16386/16412": No space left on device'), { code: '53100' });

describe('the disk of a database server the engine does not own (issue 75)', () => {
  it('a refused write answers 507 naming the server, and /health stays degraded while writes keep failing', async () => {
    let clock = 1_000_000;
    const watch = createServerDiskWatch({ label: 'Postgres at db.internal:5432/skyflo', rememberMs: 60_000, now: () => clock });
    expect(await watch.health()).toEqual({ ok: true, detail: 'ok' });
    expect(await watch.classify(new Error('duplicate key value violates unique constraint'))).toBeUndefined();
    const refusal = await watch.classify(diskFull());
    expect(refusal).toMatchObject({ code: 'STORAGE_FULL', statusCode: 507 });
    expect(refusal?.message).toBe('The disk of the database server (Postgres at db.internal:5432/skyflo) is full: could not extend file "pg_tblspc/16385/PG_16_202307071/16386/16412": No space left on device. Free space on the database server; nothing was written.');
    clock += 30_000;
    expect(await watch.health()).toEqual({ ok: false, detail: 'error: the disk of the database server (Postgres at db.internal:5432/skyflo) is full: a write was refused 30 s ago (could not extend file "pg_tblspc/16385/PG_16_202307071/16386/16412": No space left on device)' });
    // no write refused for longer than it remembers: the reads never failed, and health clears by itself
    clock += 30_001;
    expect(await watch.health()).toEqual({ ok: true, detail: 'ok' });
  });
});
