/**
 * The API documents itself (issue 8): /api/v1/openapi.json is an OpenAPI 3.1 document listing every route the engine
 * serves under /api/v1 (built from the routes themselves), with request and response schemas from @skyflo/protocol;
 * /api/docs renders it. Documenting does not change behaviour: bad input still gets the handlers' own 400s.
 */
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeDocs } from '../../src/http/openapi/route-docs.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let lite: PGlite;
let engine: TestEngine;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite });
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
});

type Operation = { summary?: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; requestBody?: { content: Record<string, { schema: { type?: string } }> }; parameters?: Array<{ in: string; name: string }> };

/** Every METHOD /path the engine routes under /api/v1, read from Fastify's own route tree (printRoutes). */
function servedRoutes(): Set<string> {
  const served = new Set<string>();
  const parents: string[] = [];
  for (const line of engine.engine.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)(?:[├└]── )(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const parent = parents[depth - 1] ?? '';
    // a child continues its parent's text (find-my-way's radix tree: `/confirm` then `-options`), except after a
    // parameter, whose children the tree prints without their leading slash
    const path = parent.endsWith('/') || match[2]!.startsWith('/') || !/:[^/]+$/.test(parent) ? `${parent}${match[2]}`.replace(/\/\/+/g, '/') : `${parent}/${match[2]}`;
    parents[depth] = path;
    if (!path.startsWith('/api/v1/')) continue;
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') served.add(`${method} ${path}`);
  }
  return served;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1, public, and lists every /api/v1 route the engine serves, each documented', async () => {
    const response = await engine.request({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes).toHaveProperty('bearer');

    const listed = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const fastifyPath = path.replace(/\{([^}]+)\}/g, ':$1');
        listed.add(`${method.toUpperCase()} ${fastifyPath}`);
        // a path parameter is declared as one
        for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((param) => param[1])) {
          expect(operation.parameters?.some((parameter) => parameter.in === 'path' && parameter.name === name), `${method} ${path} declares ${name}`).toBe(true);
        }
        expect(Object.keys(operation.responses ?? {}).length, `${method} ${path} has responses`).toBeGreaterThan(0);
        if (operation.requestBody) expect(operation.requestBody.content['application/json']?.schema.type).toBe('object');
      }
    }
    const served = servedRoutes();
    expect(served.size).toBeGreaterThan(25);
    // (the document itself is the one route it does not list)
    expect([...served].filter((route) => !listed.has(route))).toEqual(['GET /api/v1/openapi.json']);
    // and every served route has a summary and schemas written for it (a new route without docs fails here)
    const undocumentedOnPurpose = ['POST /api/v1/auth/jwt/logout', 'GET /api/v1/openapi.json'];
    expect([...served].filter((route) => !routeDocs[route] && !undocumentedOnPurpose.includes(route))).toEqual([]);
  });

  it('documents bodies and answers with the protocol schemas, and errors as {detail}', async () => {
    const document = (await engine.request({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const create = document.paths['/api/v1/integrations'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['provider', 'metadata', 'credentials']);
    // a Prometheus/Loki bearer token has no username (issue 36); Jenkins still needs one (checked below and by the handler)
    expect(body.properties.credentials.required).toEqual(['api_token']);
    expect(Object.keys(body.properties.credentials.properties)).toEqual(['username', 'api_token']);
    expect(body.properties.provider.enum).toEqual(['jenkins', 'prometheus', 'loki']);
    const created = create.responses['201'].content['application/json'].schema;
    // the answer never has a token field
    expect(Object.keys(created.properties.credentials.properties)).toEqual(['set', 'token_last4']);
    expect(create.responses['400'].content['application/json'].schema.required).toEqual(['detail']);
    expect(document.paths['/api/v1/agent/chat'].post.responses['200'].content).toHaveProperty('text/event-stream');
    expect(document.paths['/api/v1/health'].get.security).toEqual([]);
  });

  it('changes no behaviour: the handlers still answer bad input with their own messages', async () => {
    const token = await engine.signUp('admin@example.com');
    const bad = await engine.request({ method: 'POST', url: '/api/v1/integrations', token, payload: { provider: 'gitlab', metadata: { api_url: 'https://x.example' }, credentials: { username: 'a', api_token: 'b' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/provider must be "jenkins"/);
    const noUser = await engine.request({ method: 'POST', url: '/api/v1/integrations', token, payload: { provider: 'jenkins', metadata: { api_url: 'https://x.example' }, credentials: { api_token: 'b' } } });
    expect(noUser.statusCode).toBe(400);
    expect(noUser.json().detail).toMatch(/credentials\.username is required/);
    const me = await engine.request({ method: 'GET', url: '/api/v1/auth/me', token });
    expect(me.json()).toMatchObject({ email: 'admin@example.com', role: 'admin' });
  });

  it('serves a docs page at /api/docs', async () => {
    const page = await engine.request({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Swagger UI</title>');
    // the page loads its document from the engine
    const initializer = await engine.request({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    expect((await engine.request({ method: 'GET', url: '/api/docs/json' })).json().openapi).toBe('3.1.0');
  });
});
