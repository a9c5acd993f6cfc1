/**
 * Issue 19, item 8: a changed Jenkins URL received the sealed token. `PATCH /integrations/{id}` with a new api_url and
 * no token made the engine send `Authorization: Basic user:token` to the new host (even though the PATCH answered
 * 400). Now a URL change needs the token again, the stored token opens only for the URL it was saved with, link-local
 * and cloud metadata addresses are refused (by name and by what the name resolves to), and hosts that are not
 * Jenkins all get one generic answer (no status codes, no "connection refused": no port-scanning oracle).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJenkinsCredentialCheck, notJenkinsMessage } from '../../src/app/integrations/check-jenkins-credentials.ts';
import { createIntegrationUrlGuard } from '../../src/app/integrations/integration-url-guard.ts';
import { createSecretBox } from '../../src/platform/crypto/secret-box.ts';
import { createDatabaseVault } from '../../src/app/integrations/credential-vault.ts';
import { createIntegrationService } from '../../src/app/integrations/integration-service.ts';
import type { AuditLog, IntegrationRecord, IntegrationStore } from '../../src/platform/ports/index.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const jenkinsToken = 'jenkins-api-token-7f3c9a1e5b';
const basicToken = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** A loopback HTTP listener that records every Authorization header it receives (the attacker's host). */
interface Recorder {
  url: string;
  received: Array<{ path: string; authorization?: string }>;
  /** 'jenkins': answers whoAmI like a Jenkins that accepts anything; 'plain': an ordinary web server's 404 */
  mode: 'jenkins' | 'plain';
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const recorder = { received: [] as Recorder['received'], mode: 'plain' as Recorder['mode'] };
  const server: Server = createServer((request, response) => {
    const headers: IncomingHttpHeaders = request.headers;
    recorder.received.push({ path: request.url ?? '', ...(headers.authorization ? { authorization: headers.authorization } : {}) });
    if (recorder.mode === 'jenkins') {
      response.writeHead(200, { 'content-type': 'application/json', 'x-jenkins': '2.440' }).end(JSON.stringify({ name: 'mallory', anonymous: false }));
    } else {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(recorder, {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let lite: PGlite;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
let engine: TestEngine;
let jenkins: JenkinsSim;
let attacker: Recorder;
let admin: string;

const request = (options: Parameters<TestEngine['request']>[0]) => engine.request({ token: admin, ...options });
const jenkinsCreate = () => ({ provider: 'jenkins', name: 'CI', metadata: { api_url: jenkins.url }, credentials: { username: jenkins.user, api_token: jenkinsToken } });

beforeAll(async () => {
  jenkins = await startJenkinsSim({ token: jenkinsToken });
  attacker = await startRecorder();
  ({ lite, query } = await createTestPglite());
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false' } });
  admin = await engine.signUp('admin@example.com');
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
  await jenkins?.close();
  await attacker?.close();
});

beforeEach(async () => {
  attacker.received.length = 0;
  attacker.mode = 'plain';
  for (const row of (await query('select id from integrations')) as Array<{ id: string }>) await request({ method: 'DELETE', url: `/api/v1/integrations/${row.id}` });
});

const stolen = () => attacker.received.filter((entry) => entry.authorization?.includes(Buffer.from(`${jenkins.user}:${jenkinsToken}`).toString('base64')));

describe('a changed Jenkins URL', () => {
  it('PATCH of api_url without the token is refused before anything is sent; the new host never sees the token', async () => {
    const created = await request({ method: 'POST', url: '/api/v1/integrations', payload: jenkinsCreate() });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;

    for (const mode of ['plain', 'jenkins'] as const) {
      attacker.mode = mode;
      const patched = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, payload: { metadata: { api_url: attacker.url } } });
      expect(patched.statusCode).toBe(400);
      expect(patched.json().detail).toMatch(/changing metadata\.api_url needs the credentials again: send credentials\.username and credentials\.api_token/);
    }
    expect(attacker.received).toEqual([]);

    // nothing changed: the integration still points at Jenkins, and its test and tools use the real one
    const [row] = (await query('select api_url from integrations')) as Array<{ api_url: string }>;
    expect(row!.api_url).toBe(jenkins.url);
    expect((await request({ method: 'POST', url: `/api/v1/integrations/${id}/test` })).json()).toMatchObject({ ok: true, user: jenkins.user });
    expect(attacker.received).toEqual([]);
    expect(stolen()).toEqual([]);
  });

  it('a URL change with the token given is checked against the new URL with that token only', async () => {
    const id = (await request({ method: 'POST', url: '/api/v1/integrations', payload: jenkinsCreate() })).json().id as string;
    attacker.mode = 'jenkins';
    const moved = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, payload: { metadata: { api_url: attacker.url }, credentials: { username: 'ci-bot', api_token: 'a-token-meant-for-the-new-host' } } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(attacker.received.map((entry) => entry.authorization)).toEqual([basicToken('ci-bot', 'a-token-meant-for-the-new-host')]);
    expect(stolen()).toEqual([]);
    // the same URL spelled differently is not a change and needs no token
    const same = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, payload: { metadata: { api_url: attacker.url.replace(/\/$/, '') } } });
    expect(same.statusCode, same.body).toBe(200);
  });

  it('a stored token opens only for the URL it was saved with (a row whose URL was changed behind the API is refused)', async () => {
    const id = (await request({ method: 'POST', url: '/api/v1/integrations', payload: jenkinsCreate() })).json().id as string;
    // e.g. an older engine, a restored backup or a hand-edited row: the URL moved, the sealed token stayed
    await query('update integrations set api_url = $1 where id = $2', [attacker.url, id]);
    attacker.mode = 'jenkins';
    const test = await request({ method: 'POST', url: `/api/v1/integrations/${id}/test` });
    expect(test.statusCode).toBe(409);
    expect(test.json().detail).toBe(`the credentials of integration "CI" cannot be opened for ${attacker.url} (saved for another URL, or SKYFLO_ENCRYPTION_KEY changed?); enter them again`);
    expect(attacker.received).toEqual([]);
  });
});

describe('link-local and cloud metadata addresses', () => {
  it('are refused for new integrations and URL changes, and nothing is saved', async () => {
    for (const apiUrl of ['http://169.254.169.254/', 'http://169.254.170.2/v2/credentials/', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[fe80::1]:8080/']) {
      const created = await request({ method: 'POST', url: '/api/v1/integrations', payload: { ...jenkinsCreate(), metadata: { api_url: apiUrl } } });
      expect(created.statusCode, apiUrl).toBe(400);
      expect(created.json().detail, apiUrl).toMatch(/a link-local or cloud metadata address; integrations may not point there/);
    }
    expect(await query('select id from integrations')).toEqual([]);

    const id = (await request({ method: 'POST', url: '/api/v1/integrations', payload: jenkinsCreate() })).json().id as string;
    const moved = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, payload: { metadata: { api_url: 'http://169.254.169.254/latest/meta-data/' }, credentials: { username: 'x', api_token: 'y' } } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().detail).toMatch(/http:\/\/169\.254\.169\.254 is a link-local or cloud metadata address/);
  });

  it('are refused when a host name resolves to one (resolver injected: no network), and redirects to one are not followed', async () => {
    const hits: string[] = [];
    const redirector = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const port = (redirector.address() as AddressInfo).port;
    const check = createJenkinsCredentialCheck({
      timeoutMs: 5000,
      resolve: async (hostname) => (hostname === 'jenkins.rebound.example' ? [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]),
    });
    try {
      // the name also answers a loopback address where something listens: nothing is sent there either
      const rebound = await check({ apiUrl: `http://jenkins.rebound.example:${port}/`, username: 'u', apiToken: jenkinsToken });
      expect(rebound).toMatchObject({ ok: false, error: `http://jenkins.rebound.example:${port} resolves to 169.254.169.254, a link-local or cloud metadata address; integrations may not point there. Use the address of your Jenkins server` });
      expect(hits).toEqual([]);

      // a host that redirects whoAmI to the metadata service: the redirect is refused, not fetched
      const url = `http://127.0.0.1:${port}/`;
      const redirected = await check({ apiUrl: url, username: 'u', apiToken: jenkinsToken });
      expect(redirected).toMatchObject({ ok: false, error: expect.stringMatching(/^http:\/\/169\.254\.169\.254 is a link-local or cloud metadata address/) });
      expect(hits).toEqual(['/whoAmI/api/json']);
    } finally {
      await new Promise((resolve) => redirector.close(resolve));
    }

    // an ordinary private address is allowed (a self-hosted Jenkins lives on one)
    expect(await createIntegrationUrlGuard({ resolve: async () => [{ address: '10.1.2.3', family: 4 }] })('https://jenkins.internal/')).toBeUndefined();
  });
});

describe('hosts that are not Jenkins', () => {
  it('all get one generic answer: closed port, a web server answering 404, no status code or socket error', async () => {
    const closed = await request({ method: 'POST', url: '/api/v1/integrations', payload: { ...jenkinsCreate(), metadata: { api_url: `http://127.0.0.1:${await closedPort()}/` } } });
    attacker.mode = 'plain';
    const open = await request({ method: 'POST', url: '/api/v1/integrations', payload: { ...jenkinsCreate(), metadata: { api_url: attacker.url } } });
    for (const answer of [closed, open]) {
      expect(answer.statusCode).toBe(400);
      expect(answer.json().detail).toBe(`the Jenkins credentials were not saved: ${notJenkinsMessage}`);
    }
    expect(open.json().detail).toBe(closed.json().detail);
    expect(open.body).not.toMatch(/404|ECONNREFUSED|HTTP/);
    // Jenkins itself still says what is wrong with the credentials
    const refused = await request({ method: 'POST', url: '/api/v1/integrations', payload: { ...jenkinsCreate(), credentials: { username: jenkins.user, api_token: 'wrong' } } });
    expect(refused.json().detail).toMatch(/Jenkins refused the credentials \(HTTP 401\)/);
  });
});

describe('an integration saved before metadata addresses were refused', () => {
  it('gives the model no Jenkins tools (its credentials never travel to the metadata address)', async () => {
    const rows = new Map<string, IntegrationRecord>();
    const store: IntegrationStore = {
      list: async () => [...rows.values()],
      get: async (id) => rows.get(id),
      create: async (input) => {
        const record = { ...input, createdAt: new Date(), updatedAt: new Date() };
        rows.set(input.id, record);
        return record;
      },
      update: async () => undefined,
      remove: async (id) => rows.delete(id),
    };
    const vault = createDatabaseVault(createSecretBox(randomBytes(32)));
    const service = createIntegrationService({ store, vault, audit: { record: async () => undefined } as unknown as AuditLog, checkCredentials: async () => ({ ok: true, latencyMs: 0, user: 'u' }) });
    // as an older engine saved it: sealed for the metadata URL itself
    const saved = async (apiUrl: string) => {
      rows.clear();
      const id = randomUUID();
      await store.create({ id, provider: 'jenkins', name: 'CI', apiUrl, username: 'u', credentialsSealed: await vault.put(id, apiUrl, { username: 'u', api_token: jenkinsToken }), tokenLast4: '9a1e', status: 'active' });
    };
    await saved('http://169.254.169.254/');
    expect(await service.activeJenkins()).toBeUndefined();
    await saved(jenkins.url);
    expect(await service.activeJenkins()).toMatchObject({ apiUrl: jenkins.url, credentials: { api_token: jenkinsToken } });
  });
});
