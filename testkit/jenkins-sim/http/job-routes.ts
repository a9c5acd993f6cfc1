import { jobConfigXml } from '../json/job-config-xml.ts';
import { BadRequestError, type Build, type Job } from '../model/jenkins-state.ts';
import { redirect, sendErrorPage, sendText } from './responses.ts';
import { allowMethods, notFound, sendApiJson, type RouteContext } from './route-context.ts';

const permalinks: Record<string, (build: Build) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: (build) => !build.building,
  lastSuccessfulBuild: (build) => build.result === 'SUCCESS' || build.result === 'UNSTABLE',
  lastStableBuild: (build) => build.result === 'SUCCESS',
  lastFailedBuild: (build) => build.result === 'FAILURE',
  lastUnstableBuild: (build) => build.result === 'UNSTABLE',
  lastUnsuccessfulBuild: (build) => !build.building && build.result !== 'SUCCESS',
};

function findBuild(job: Job, reference: string): Build | undefined {
  if (/^\d+$/.test(reference)) return job.builds.find((build) => build.number === Number(reference));
  const predicate = permalinks[reference];
  return predicate ? [...job.builds].reverse().find(predicate) : undefined;
}

/** Routes under `/job/a/job/b/...`: `names` are the job path, `rest` what follows it. */
export function routeJob(context: RouteContext, names: string[], rest: string[]): void {
  const node = context.state.findJob(names);
  if (!node || node.kind === 'folder' && rest.length > 0 && !['api', 'config.xml'].includes(rest[0])) {
    notFound(context);
    return;
  }
  const [first, second] = rest;
  if (rest.length === 0) {
    if (!allowMethods(context, 'GET')) return;
    context.response.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
    context.response.end(`<html><head><title>${node.fullName} [Jenkins]</title></head><body><h1>${node.fullName}</h1></body></html>`);
    return;
  }
  if (first === 'api' && second === 'json' && rest.length === 2) {
    if (allowMethods(context, 'GET')) sendApiJson(context, context.represent.nodeJson(node));
    return;
  }
  if (first === 'config.xml' && rest.length === 1) {
    if (allowMethods(context, 'GET')) {
      context.response.writeHead(200, { 'content-type': 'application/xml' });
      context.response.end(jobConfigXml(node));
    }
    return;
  }
  if (node.kind === 'folder') return notFound(context);
  if ((first === 'build' || first === 'buildWithParameters') && rest.length === 1) {
    if (allowMethods(context, 'POST')) triggerBuild(context, node, first === 'buildWithParameters');
    return;
  }
  const build = findBuild(node, first);
  if (!build) return notFound(context);
  routeBuild(context, build, rest.slice(1));
}

function triggerBuild(context: RouteContext, job: Job, withParameters: boolean): void {
  const parameterized = job.spec.parameters.length > 0;
  if (job.spec.disabled) {
    sendErrorPage(context.response, { status: 409, uri: context.uri, message: `${job.fullName} is not buildable` });
    return;
  }
  if (withParameters && !parameterized) {
    sendErrorPage(context.response, { status: 400, uri: context.uri, message: `${job.fullName} is not parameterized` });
    return;
  }
  if (!withParameters && parameterized) {
    sendErrorPage(context.response, { status: 400, uri: context.uri, message: `${job.fullName} is parameterized; use buildWithParameters` });
    return;
  }
  let parameters;
  try {
    parameters = context.state.resolveParameters(job, Object.fromEntries(context.form));
  } catch (error) {
    if (!(error instanceof BadRequestError)) throw error;
    sendErrorPage(context.response, { status: 400, uri: context.uri, message: error.message });
    return;
  }
  const item = context.state.enqueue(job, parameters, context.user.id);
  context.response.writeHead(201, { location: `${context.rootUrl}queue/item/${item.id}/`, 'content-length': '0' });
  context.response.end();
}

function routeBuild(context: RouteContext, build: Build, rest: string[]): void {
  const path = rest.join('/');
  const { response, represent } = context;
  switch (path) {
    case '':
      if (!allowMethods(context, 'GET')) return;
      response.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      response.end(`<html><head><title>${build.job.fullName} #${build.number} [Jenkins]</title></head><body></body></html>`);
      return;
    case 'api/json':
      if (allowMethods(context, 'GET')) sendApiJson(context, represent.buildJson(build));
      return;
    case 'consoleText':
      if (allowMethods(context, 'GET')) sendText(response, 200, build.log);
      return;
    case 'logText/progressiveText': {
      if (!allowMethods(context, 'GET', 'POST')) return;
      // Offsets are in bytes, like Jenkins' AnnotatedLargeText; a start past the end yields an empty body.
      const bytes = Buffer.from(build.log, 'utf8');
      const start = Math.max(0, Math.min(Number(context.form.get('start') ?? '0') || 0, bytes.length));
      const headers: Record<string, string> = { 'x-text-size': String(bytes.length) };
      if (build.building) headers['x-more-data'] = 'true';
      sendText(response, 200, bytes.subarray(start).toString('utf8'), headers);
      return;
    }
    case 'stop':
      if (!allowMethods(context, 'POST')) return;
      context.state.stopBuild(build, context.user.id);
      redirect(response, represent.buildUrl(build));
      return;
    case 'submitDescription':
      if (!allowMethods(context, 'POST')) return;
      build.description = context.form.get('description') ?? '';
      redirect(response, represent.buildUrl(build));
      return;
    case 'configSubmit': {
      if (!allowMethods(context, 'POST')) return;
      // The "Edit Build Information" form posts its fields as JSON in a `json` form field.
      let submitted: { displayName?: unknown; description?: unknown } = {};
      const json = context.form.get('json');
      if (json !== null) {
        try {
          submitted = JSON.parse(json) as typeof submitted;
        } catch {
          sendErrorPage(response, { status: 400, uri: context.uri, message: 'The json form field is not valid JSON' });
          return;
        }
      } else {
        submitted = { displayName: context.form.get('displayName') ?? undefined, description: context.form.get('description') ?? undefined };
      }
      if (typeof submitted.displayName === 'string') build.displayName = submitted.displayName === '' ? undefined : submitted.displayName;
      if (typeof submitted.description === 'string') build.description = submitted.description;
      redirect(response, represent.buildUrl(build));
      return;
    }
    default:
      notFound(context);
  }
}
