import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Representer } from '../json/represent.ts';
import { applyDepth, applyTree, parseTree, TreeSyntaxError } from '../json/tree-filter.ts';
import type { JenkinsState } from '../model/jenkins-state.ts';
import type { createCrumbIssuer } from './auth.ts';
import { sendErrorPage, sendJson } from './responses.ts';

/** Everything a route needs for one request. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  /** Path as received (for error pages). */
  uri: string;
  query: URLSearchParams;
  /** Query and form fields merged, as Jenkins' request parameters are. */
  form: URLSearchParams;
  user: { id: string; fullName: string; anonymous: boolean };
  state: JenkinsState;
  represent: Representer;
  crumbs: ReturnType<typeof createCrumbIssuer>;
  rootUrl: string;
}

/** Sends an API object honouring `tree` (preferred) or `depth`, like Jenkins' Api.doJson. */
export function sendApiJson(context: RouteContext, value: unknown): void {
  const tree = context.query.get('tree');
  if (tree) {
    try {
      sendJson(context.response, 200, applyTree(value, parseTree(tree)));
    } catch (error) {
      if (!(error instanceof TreeSyntaxError)) throw error;
      sendErrorPage(context.response, { status: 400, uri: context.uri, message: error.message });
    }
    return;
  }
  const depth = Number(context.query.get('depth') ?? '0');
  sendJson(context.response, 200, applyDepth(value, Number.isInteger(depth) && depth >= 0 ? Math.min(depth, 5) : 0));
}

/** Answers 405 unless the method is allowed; returns true when the request may proceed. */
export function allowMethods(context: RouteContext, ...methods: string[]): boolean {
  if (methods.includes(context.method)) return true;
  const message = methods.length === 1 && methods[0] === 'POST' ? 'This URL requires POST' : `Method ${context.method} is not allowed here`;
  sendErrorPage(context.response, { status: 405, uri: context.uri, message, headers: { allow: methods.join(', ') } });
  return false;
}

export function notFound(context: RouteContext): void {
  sendErrorPage(context.response, { status: 404, uri: context.uri, message: 'Not Found' });
}
