import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../shared/listen-on-loopback.ts';
import { authenticate, createCrumbIssuer } from './http/auth.ts';
import { routeJob } from './http/job-routes.ts';
import { sendErrorPage } from './http/responses.ts';
import { notFound, type RouteContext } from './http/route-context.ts';
import { routeSystem } from './http/system-routes.ts';
import { createRepresenter } from './json/represent.ts';
import { createJenkinsState } from './model/jenkins-state.ts';
import { loadJenkinsScenario } from './scenario/load-scenario.ts';
import type { JenkinsScenario } from './scenario/scenario-schema.ts';

export interface JenkinsSimOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** User id added to the scenario's users (default "admin"). */
  user?: string;
  /** API token for `user` (default "sim-token"). */
  token?: string;
  /** A scenario object or the path of a YAML/JSON scenario file. */
  scenario?: JenkinsScenario | string;
  /** Run time of new builds unless the job sets its own (default 200 ms). */
  buildDurationMs?: number;
  /** Quiet period before a queued build starts (default 50 ms). */
  queueDelayMs?: number;
  /** Reject POSTs without a valid crumb (default true, as on a Jenkins with CSRF protection and a strict setup). */
  requireCrumb?: boolean;
  /** Let unauthenticated clients read (GET) like Jenkins' "Allow anonymous read access". */
  anonymousRead?: boolean;
}

/** One request as the sim received it. */
export interface JenkinsSimCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Form fields (url-encoded body), if any. */
  form: Record<string, string>;
  /** Authenticated user id, or "anonymous". */
  user: string;
  status: number;
  /** Request headers without credentials. */
  headers: Record<string, string>;
}

export interface JenkinsSim {
  /** Root URL without trailing slash, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  user: string;
  token: string;
  calls: JenkinsSimCall[];
  close(): Promise<void>;
}

const secretHeaders = new Set(['authorization', 'cookie', 'jenkins-crumb']);

/** Starts the Jenkins REST API simulator on 127.0.0.1. */
export async function startJenkinsSim(options: JenkinsSimOptions = {}): Promise<JenkinsSim> {
  const user = options.user ?? 'admin';
  const token = options.token ?? 'sim-token';
  const scenario = loadJenkinsScenario(options.scenario);
  if (!scenario.users.some((candidate) => candidate.id === user)) scenario.users.unshift({ id: user, fullName: user, token });
  const state = createJenkinsState({ scenario, buildDurationMs: options.buildDurationMs ?? 200, queueDelayMs: options.queueDelayMs ?? 50 });
  const crumbs = createCrumbIssuer();
  const requireCrumb = options.requireCrumb ?? true;
  const sessionId = randomBytes(4).toString('hex');
  const calls: JenkinsSimCall[] = [];
  let rootUrl = '';
  let represent = createRepresenter(rootUrl);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://sim');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    const form = new URLSearchParams(url.searchParams);
    const bodyForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
    for (const [name, value] of bodyForm) form.set(name, value);
    const call: JenkinsSimCall = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries([...bodyForm].filter(([name]) => name !== 'Jenkins-Crumb')),
      user: 'anonymous',
      status: 0,
      headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !secretHeaders.has(name)).map(([name, value]) => [name, String(value)])),
    };
    calls.push(call);
    response.on('finish', () => (call.status = response.statusCode));
    for (const [name, value] of Object.entries({ 'x-jenkins': state.version, 'x-hudson': '1.395', 'x-jenkins-session': sessionId, 'x-content-type-options': 'nosniff' })) {
      response.setHeader(name, value);
    }

    const auth = authenticate(scenario.users, request.headers.authorization);
    if (auth.kind === 'invalid' || (auth.kind === 'anonymous' && !(options.anonymousRead && method === 'GET'))) {
      const message = auth.kind === 'invalid' ? `Invalid password/token for user: ${auth.id}` : 'Authentication required';
      sendErrorPage(response, { status: 401, uri: url.pathname, message, headers: { 'www-authenticate': 'Basic realm="Jenkins"' } });
      return;
    }
    const current = auth.kind === 'user' ? { id: auth.id, fullName: auth.fullName, anonymous: false } : { id: 'anonymous', fullName: 'anonymous', anonymous: true };
    call.user = current.id;

    // Like Jenkins' CrumbFilter, the check runs before any routing, so even unknown URLs get 403 without a crumb.
    if (method === 'POST' && requireCrumb) {
      const crumb = (request.headers['jenkins-crumb'] as string | undefined) ?? form.get('Jenkins-Crumb') ?? undefined;
      if (!crumbs.isValid(current.id, crumb)) {
        sendErrorPage(response, { status: 403, uri: url.pathname, message: 'No valid crumb was included in the request' });
        return;
      }
    }

    const segments = url.pathname.split('/').filter(Boolean).map((segment) => decodeURIComponent(segment));
    const context: RouteContext = { request, response, method, uri: url.pathname, query: url.searchParams, form, user: current, state, represent, crumbs, rootUrl };
    if (segments[0] === 'job') {
      const names: string[] = [];
      let index = 0;
      while (segments[index] === 'job' && segments[index + 1] !== undefined) {
        names.push(segments[index + 1]);
        index += 2;
      }
      routeJob(context, names, segments.slice(index));
      return;
    }
    if (!routeSystem(context, segments)) notFound(context);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else sendErrorPage(response, { status: 500, uri: request.url ?? '/', message: `jenkins-sim internal error: ${(error as Error).message}` });
    });
  });
  const listener = await listenOnLoopback(server, options);
  const { port } = listener;
  const url = listener.origin;
  rootUrl = `${url}/`;
  represent = createRepresenter(rootUrl);

  return {
    url,
    port,
    user,
    token: scenario.users.find((candidate) => candidate.id === user)?.token ?? token,
    calls,
    async close() {
      state.dispose();
      await listener.close();
    },
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
