/**
 * The chain walker's rules for signed records (issue 31.12), as a table: which records it accepts, which it names as
 * not written by the engine (the chain still intact), and which break the chain.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditContentDigest, createChainWalker, GENESIS_HASH, hashAuditRecord, linkHash, type ChainedFields } from './audit-chain.ts';
import { createAuditRecordSigner } from '../../platform/crypto/audit-record-signer.ts';

const engine = createAuditRecordSigner(generateKeyPairSync('ed25519').privateKey);
const otherInstallation = createAuditRecordSigner(generateKeyPairSync('ed25519').privateKey);
const check = (digest: string, signature: string | null) => (engine.verify(digest, signature) ? undefined : signature ? 'bad signature' : 'no signature');

type Row = ChainedFields & { hash: string; prevHash: string; signature: string | null };

const fieldsOf = (sequence: number): ChainedFields => ({ id: randomUUID(), sequence, at: new Date(1_700_000_000_000 + sequence), actorId: null, action: 'test.record', conversationId: null, tool: 'k8s_scale', subjectType: 'tool_call', subjectId: `call_${sequence}`, details: { n: sequence }, ip: null });

/** A signed-format record as the engine's INSERT links it. */
function signed(fields: ChainedFields, prevHash: string, signer: typeof engine | null = engine): Row {
  const digest = auditContentDigest(fields);
  return { ...fields, prevHash, hash: linkHash(prevHash, digest), signature: signer ? signer.sign(digest) : null };
}

/** Three engine records from `signedFrom` = 1, with the middle one replaced by `middle(fields, prevHash)`. */
function chainWith(middle: (fields: ChainedFields, prevHash: string) => Row): Row[] {
  const first = signed(fieldsOf(1), GENESIS_HASH);
  const second = middle(fieldsOf(2), first.hash);
  const third = signed(fieldsOf(3), second.hash);
  return [first, second, third];
}

function walk(rows: Row[]) {
  const walker = createChainWalker({ signedFrom: 1, checkSignature: check });
  for (const row of rows) if (!walker.next(row)) break;
  return walker.report();
}

describe('signed audit records', () => {
  it.each([
    ['signed by the engine', (fields: ChainedFields, prev: string) => signed(fields, prev), { ok: true, signedRecords: 3, unsignedCount: 0 }],
    ['inserted with a correct link but no signature', (fields: ChainedFields, prev: string) => signed(fields, prev, null), { ok: false, signedRecords: 2, unsignedCount: 1, unsigned: [{ sequence: 2, reason: 'no signature' }] }],
    ['signed with another key', (fields: ChainedFields, prev: string) => signed(fields, prev, otherInstallation), { ok: false, signedRecords: 2, unsignedCount: 1, unsigned: [{ sequence: 2, reason: 'bad signature' }] }],
    [
      'changed after signing, its hash recomputed',
      (fields: ChainedFields, prev: string) => {
        const original = signed(fields, prev);
        const changed = { ...fields, actorId: randomUUID() };
        return { ...changed, prevHash: prev, hash: linkHash(prev, auditContentDigest(changed)), signature: original.signature };
      },
      { ok: false, signedRecords: 2, unsignedCount: 1, unsigned: [{ sequence: 2, reason: 'bad signature' }] },
    ],
  ])('a middle record %s', (_case, middle, expected) => {
    const rows = chainWith(middle);
    const report = walk(rows);
    expect(report).toMatchObject(expected);
    expect(report.brokenAt).toBeUndefined();
  });

  it.each([
    ['in the old format (hash over its fields), after signing began', (fields: ChainedFields, prev: string): Row => ({ ...fields, prevHash: prev, hash: hashAuditRecord(fields, prev), signature: null }), /does not match its hash/],
    ['changed, its signature kept and its hash not recomputed', (fields: ChainedFields, prev: string): Row => ({ ...signed(fields, prev), details: { n: 999 } }), /does not match its hash/],
    ['linked to a record that is not the one before it', (fields: ChainedFields): Row => signed(fields, '1'.repeat(64)), /removed, inserted or reordered/],
  ])('a middle record %s breaks the chain there', (_case, middle, reason) => {
    const report = walk(chainWith(middle));
    expect(report.ok).toBe(false);
    expect(report.brokenAt).toMatchObject({ position: 2, sequence: 2, reason: expect.stringMatching(reason) });
  });

  it('records before signedFrom are checked in the old format, without signatures', () => {
    const first = fieldsOf(1);
    const legacy: Row = { ...first, prevHash: GENESIS_HASH, hash: hashAuditRecord(first, GENESIS_HASH), signature: null };
    const next = signed(fieldsOf(2), legacy.hash);
    const walker = createChainWalker({ signedFrom: 2, checkSignature: check });
    expect(walker.next(legacy) && walker.next(next)).toBe(true);
    expect(walker.report()).toMatchObject({ ok: true, recordsChecked: 2, signedRecords: 1, unsignedCount: 0, signaturesChecked: true });
  });
});
