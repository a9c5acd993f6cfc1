import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { forbidden, impersonate, type AccessRequest, type Authorizer } from '../auth/rbac-authorizer.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { ValidatingAdmission } from '../admission/validating-webhooks.ts';
import { ApiError, type SimUser } from '../cluster-types.ts';
import type { SimClusterInternals } from '../cluster.ts';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions } from '../discovery/discovery-documents.ts';
import { methodNotAllowed, toStatus } from '../errors/api-errors.ts';
import { groupVersionDocument, openapiRoot } from '../openapi/openapi-documents.ts';
import { virtualResources } from '../resources/builtin-resources.ts';
import { handleGet, handleList } from './read-handlers.ts';
import { readBody, parseBody } from './request-body.ts';
import type { KubeSimCall, RequestLog } from './request-log.ts';
import type { ResourceRequest } from './request-context.ts';
import { parseResourcePath, type ResourceRequestPath } from './resource-path.ts';
import { addWarning, sendError, sendJson } from './respond.ts';
import { handleReview } from './review-handlers.ts';
import { handleScale } from './scale-subresource.ts';
import { handleWatch } from './watch-stream.ts';
import { handleDelete, handleDeleteCollection } from './delete-handlers.ts';
import { handleCreate, handlePatch, handleUpdate } from './write-handlers.ts';

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.3',
  gitCommit: '32cc146f75aad04beaaa245a7157eb35063a9f99',
  gitTreeState: 'clean',
  buildDate: '2025-03-11T19:52:21Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface KubeApiServerOptions {
  cluster: SimClusterInternals;
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** PEM key and certificate: serve HTTPS instead of HTTP */
  tls?: { key: string; cert: string };
  /** log every request (and why unknown ones failed) to stderr */
  debug?: boolean;
  /** validating admission webhooks, consulted before every write is stored */
  admit?: ValidatingAdmission;
  /** the `calls` log: every request is entered here (method, path, query, verb, user, status; no credentials) */
  requestLog?: RequestLog;
}

export interface KubeApiServer {
  server: http.Server;
  /** Ends open watches and upgraded connections, then stops listening. */
  close(): Promise<void>;
}

const notFoundError = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

function verbFor(method: string, path: ResourceRequestPath, url: URL): string {
  const watch = url.searchParams.get('watch');
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch === 'true' || watch === '1') return 'watch';
      return path.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return path.name ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed();
  }
}

/**
 * What RBAC judges. A list or watch narrowed by `fieldSelector=metadata.name=x` carries that name, as the real
 * RequestInfo resolver does, so a rule with resourceNames can allow watching one object (`kubectl rollout status`).
 */
function accessFor(verb: string, path: ResourceRequestPath, url?: URL): AccessRequest {
  let name = path.name;
  if (!name && (verb === 'list' || verb === 'watch')) {
    const selected = (url?.searchParams.get('fieldSelector') ?? '').split(',').map((term) => /^metadata\.name==?(.+)$/.exec(term.trim())?.[1]);
    name = selected.find((value) => value !== undefined);
  }
  return { verb, group: path.group, resource: path.resource.resource, subresource: path.subresource, namespace: path.namespace, name };
}

/** The Kubernetes API over node:http: discovery, OpenAPI, resources, subresources, watches and upgrades. */
export function createKubeApiServer(options: KubeApiServerOptions): KubeApiServer {
  const { cluster, authenticator, authorizer } = options;
  const streams = new Set<() => void>();
  const upgradedSockets = new Set<Duplex>();
  const log = (line: string) => options.debug && process.stderr.write(`kube-sim: ${line}\n`);

  function trackStream(end: () => void): () => void {
    streams.add(end);
    return () => streams.delete(end);
  }

  async function identify(request: IncomingMessage, call: KubeSimCall | undefined): Promise<SimUser> {
    const user = impersonate(request, await authenticator.authenticate(request), authorizer);
    if (call) call.user = user.name;
    return user;
  }

  /** Discovery, OpenAPI, version and health documents; undefined when the path is none of them. */
  function nonResourceDocument(request: IncomingMessage, segments: string[]): { body: unknown; contentType?: string } | undefined {
    const path = `/${segments.join('/')}`;
    if (path === '/version') return { body: serverVersion };
    const accept = String(request.headers.accept ?? '');
    if (path === '/api' || path === '/apis') {
      if (/as=APIGroupDiscoveryList/.test(accept)) {
        const version = /g=apidiscovery\.k8s\.io;v=v2;/.test(accept) ? 'v2' : 'v2beta1';
        return { body: aggregatedDiscovery(cluster, path === '/api', version), contentType: `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList` };
      }
      return { body: path === '/api' ? apiVersions(request.headers.host ?? '127.0.0.1') : apiGroupList(cluster) };
    }
    const found = (body: unknown) => {
      if (!body) throw notFoundError();
      return { body };
    };
    if (segments[0] === 'api' && segments.length === 2) return found(apiResourceList(cluster, '', segments[1]));
    if (segments[0] === 'apis' && segments.length === 2) return found(apiGroup(cluster, segments[1]));
    if (segments[0] === 'apis' && segments.length === 3) return found(apiResourceList(cluster, segments[1], segments[2]));
    if (segments[0] === 'openapi') {
      if (segments[1] !== 'v3') throw notFoundError(); // no /openapi/v2: kubectl and helm then rely on server-side validation
      if (segments.length === 2) return { body: openapiRoot(cluster.registry) };
      const rest = segments.slice(2);
      const [group, version] = rest[0] === 'api' ? ['', rest[1]] : [rest[1], rest[2]];
      return found(version ? groupVersionDocument(cluster.registry, group, version) : undefined);
    }
    return undefined;
  }

  function isHealthPath(segments: string[]): boolean {
    return ['healthz', 'readyz', 'livez'].includes(segments[0] ?? '');
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://kube-sim.local');
    const method = request.method ?? 'GET';
    log(`${method} ${url.pathname}${url.search} accept=${request.headers.accept ?? ''} content-type=${request.headers['content-type'] ?? ''}`);
    const call = options.requestLog?.begin(method, url);
    if (call) {
      // a watch answers 200 at once but finishes only when it ends; the status is known when the response is done
      const settle = () => (call.status = response.headersSent ? response.statusCode : call.status);
      response.once('finish', settle);
      response.once('close', settle);
    }
    try {
      const segments = url.pathname.split('/').filter(Boolean);
      // Health and version are public, like system:public-info-viewer grants on a real cluster.
      if (isHealthPath(segments)) {
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end('ok');
        return;
      }
      if (segments.length === 1 && segments[0] === 'version') return sendJson(response, 200, serverVersion);
      const user = await identify(request, call);
      const document = method === 'GET' ? nonResourceDocument(request, segments) : undefined;
      if (document) return sendJson(response, 200, document.body, document.contentType);
      const parsed = parseResourcePath(segments, cluster.registry, cluster.apiGroups());
      const bodyText = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(request) : '';
      if (/protobuf|cbor/.test(String(request.headers['content-type'] ?? ''))) {
        // readBody decoded protobuf already; anything still binary is a format we do not speak.
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
      }
      if (parsed.type === 'custom') {
        const name = parsed.rest[parsed.rest[0] === 'namespaces' ? 3 : 1];
        const namespace = parsed.rest[0] === 'namespaces' ? parsed.rest[1] : undefined;
        const resourceName = parsed.rest[parsed.rest[0] === 'namespaces' ? 2 : 0] ?? '';
        const access: AccessRequest = { verb: name ? 'get' : 'list', group: parsed.group.group, resource: resourceName, namespace, name };
        if (call) call.verb = access.verb;
        if (!authorizer.authorize(user, access).allowed) throw forbidden(user, access);
        const result = await parsed.group.handle({ cluster, request, response, url, user, namespace, name, path: parsed.rest, body: bodyText ? parseBody(bodyText, 'application/json') : undefined });
        if (result === false && !response.headersSent) throw notFoundError();
        return;
      }
      if (parsed.type === 'unknown') {
        log(`no route for ${method} ${url.pathname}`);
        throw notFoundError();
      }
      const path = parsed.path;
      const verb = verbFor(method, path, url);
      if (call) call.verb = verb;
      const access = accessFor(verb, path, url);
      if (!authorizer.authorize(user, access).allowed) throw forbidden(user, access);
      // a policy's Warn action answers with a Warning header (RFC 7234 form, as kube-apiserver sends it; kubectl prints it)
      const admit: ValidatingAdmission | undefined = options.admit && ((attributes) => options.admit!({ ...attributes, warn: (text) => addWarning(response, text) }));
      const context: ResourceRequest = { cluster, authorizer, admit, request, response, url, user, path, bodyText, trackStream };
      await dispatch(context, method, verb);
    } catch (error) {
      if (options.debug && !(error instanceof ApiError && error.code < 500)) log(`error on ${method} ${url.pathname}: ${toStatus(error).body.message}`);
      sendError(response, error);
    }
  }

  async function dispatch(context: ResourceRequest, method: string, verb: string): Promise<void> {
    const { path } = context;
    const resourceKey = `${path.group}/${path.resource.resource}`;
    if (path.subresource) {
      const handler = cluster.subresourceHandler(path.group, path.resource.resource, path.subresource);
      if (handler) {
        const body = context.bodyText.trim() && /json/.test(String(context.request.headers['content-type'] ?? 'application/json')) ? parseBody(context.bodyText, 'application/json') : undefined;
        const result = await handler({ cluster, request: context.request, response: context.response, url: context.url, user: context.user, namespace: path.namespace, name: path.name, resource: path.resource, body });
        if (result === false && !context.response.headersSent) throw notFoundError();
        return;
      }
      if (path.subresource === 'status' && path.resource.subresources.includes('status')) {
        if (method === 'GET') return handleGet(context);
        if (method === 'PUT') return handleUpdate(context);
        if (method === 'PATCH') return handlePatch(context);
        throw methodNotAllowed();
      }
      if (path.subresource === 'scale') return handleScale(context);
      throw notFoundError();
    }
    if (virtualResources.has(resourceKey)) {
      if (method !== 'POST') throw methodNotAllowed();
      return handleReview(context);
    }
    switch (verb) {
      case 'watch':
        return handleWatch(context);
      case 'get':
        return handleGet(context);
      case 'list':
        return handleList(context);
      case 'create':
        if (path.name) throw methodNotAllowed();
        return handleCreate(context);
      case 'update':
        if (!path.name) throw methodNotAllowed();
        return handleUpdate(context);
      case 'patch':
        if (!path.name) throw methodNotAllowed();
        return handlePatch(context);
      case 'delete':
        return handleDelete(context);
      case 'deletecollection':
        return handleDeleteCollection(context);
    }
  }

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://kube-sim.local');
    log(`UPGRADE ${request.method} ${url.pathname}${url.search}`);
    const call = options.requestLog?.begin(request.method ?? 'GET', url);
    const refuse = (error: unknown) => {
      const status = toStatus(error);
      if (call) call.status = status.code;
      const body = JSON.stringify(status.body);
      socket.end(`HTTP/1.1 ${status.code} ${http.STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    try {
      const user = await identify(request, call);
      const parsed = parseResourcePath(url.pathname.split('/').filter(Boolean), cluster.registry, cluster.apiGroups());
      if (parsed.type !== 'resource' || !parsed.path.subresource) throw notFoundError();
      const path = parsed.path;
      const access = accessFor(request.method === 'GET' ? 'get' : 'create', path);
      if (call) call.verb = access.verb;
      if (!authorizer.authorize(user, access).allowed) throw forbidden(user, access);
      const handler = cluster.upgradeHandler(path.group, path.resource.resource, path.subresource!);
      if (!handler) throw notFoundError();
      if (call) call.status = 101;
      upgradedSockets.add(socket);
      socket.on('close', () => upgradedSockets.delete(socket));
      handler({ cluster, request, url, user, namespace: path.namespace, name: path.name, resource: path.resource, socket, head });
    } catch (error) {
      refuse(error);
    }
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => void handleRequest(request, response);
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  server.on('upgrade', (request, socket, head) => void handleUpgrade(request, socket, head));
  server.keepAliveTimeout = 5_000;

  return {
    server: server as http.Server,
    close() {
      for (const end of [...streams]) end();
      for (const socket of upgradedSockets) socket.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
