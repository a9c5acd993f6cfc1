/**
 * GET and POST /audit/verify check a signed head the same way and answer the same: POST took a `signed_head`
 * (GET /audit/head's, or an "audit chain head" log line's) and GET did not, so a head kept outside Skyflo could only
 * be checked with a POST. GET ?signed_head= is the same check, with the same answer and the same refusals.
 */
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { auditVerifySignedHeadResponseSchema } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

let lite: PGlite;
let engine: TestEngine;
let admin: string;
/** GET /audit/head after the sign-up, before anything below changes the chain */
let head: { sequence: number; hash: string; signed_head: string };

const get = (url: string, token = admin) => engine.request({ method: 'GET', url: `/api/v1${url}`, token });
const post = (signedHead: string, token = admin) => engine.request({ method: 'POST', url: '/api/v1/audit/verify', token, payload: { signed_head: signedHead } });
const getSigned = (signedHead: string, token = admin) => get(`/audit/verify?signed_head=${encodeURIComponent(signedHead)}`, token);

beforeAll(async () => {
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false' } });
  admin = await engine.signUp('admin@example.com');
  head = (await get('/audit/head')).json() as typeof head;
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

describe('GET /audit/verify ?signed_head', () => {
  it('answers exactly what POST answers, on an intact chain and on one changed outside Skyflo', async () => {
    expect(head.signed_head).toEqual(expect.any(String));

    const viaPost = await post(head.signed_head);
    const viaGet = await getSigned(head.signed_head);
    expect(viaGet.statusCode, viaGet.body).toBe(200);
    expect(viaGet.json()).toEqual(viaPost.json());
    expect(auditVerifySignedHeadResponseSchema.parse(viaGet.json())).toMatchObject({ ok: true, rewritten: false, anchor_found: true, signed_head: { sequence: head.sequence, hash: head.hash } });

    // a row slipped in by hand breaks the chain after the signed head: both say so, in the same words
    await lite.query(`INSERT INTO audit_events (action, details) VALUES ('forged.record', '{}')`);
    const brokenPost = (await post(head.signed_head)).json();
    expect(brokenPost).toMatchObject({ ok: false, broken_at: { reason: expect.stringMatching(/inserted outside Skyflo/) } });
    expect((await getSigned(head.signed_head)).json()).toEqual(brokenPost);
  });

  it('refuses an altered head, and a head given with an anchor, as POST refuses it', async () => {
    const signedHead = head.signed_head;
    const [header, payload, signature] = signedHead.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), hash: 'f'.repeat(64) })).toString('base64url')}.${signature}`;
    const viaPost = await post(forged);
    const viaGet = await getSigned(forged);
    expect(viaPost.statusCode).toBe(400);
    expect(viaGet.statusCode).toBe(400);
    expect(viaGet.json().detail).toBe(viaPost.json().detail);
    expect(viaGet.json().detail).toMatch(/signed_head is not an audit head signed by this engine's key/);

    const both = await get(`/audit/verify?signed_head=${encodeURIComponent(signedHead)}&anchor_sequence=1&anchor_hash=${'a'.repeat(64)}`);
    expect(both.statusCode).toBe(400);
    expect(both.json().detail).toMatch(/either signed_head or anchor_sequence and anchor_hash/);
    // without a signed head GET is the plain re-walk it was
    expect((await get('/audit/verify')).json()).not.toHaveProperty('signed_head');
  });

  it('is for admins only', async () => {
    await engine.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email: 'mia@example.com', role: 'member', password: 'mia-pass-4242' } });
    const mia = (await engine.login('mia@example.com', 'mia-pass-4242')).json().access_token as string;
    const signedHead = head.signed_head;
    expect((await getSigned(signedHead, mia)).statusCode).toBe(403);
    expect((await post(signedHead, mia)).statusCode).toBe(403);
  });
});
