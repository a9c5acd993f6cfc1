import { redirect } from './responses.ts';
import { allowMethods, notFound, sendApiJson, type RouteContext } from './route-context.ts';

/** Routes outside `/job/`: root, crumb issuer, identity, queue. Returns false when the path is not one of them. */
export function routeSystem(context: RouteContext, segments: string[]): boolean {
  const path = segments.join('/');
  const { response, state, represent, user } = context;
  if (path === 'api/json') {
    if (allowMethods(context, 'GET')) sendApiJson(context, represent.rootJson(state.root));
    return true;
  }
  if (path === 'crumbIssuer/api/json') {
    if (allowMethods(context, 'GET')) {
      sendApiJson(context, { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: context.crumbs.crumbFor(user.id), crumbRequestField: 'Jenkins-Crumb' });
    }
    return true;
  }
  if (path === 'me/api/json' || path === `user/${user.id}/api/json`) {
    if (allowMethods(context, 'GET')) {
      sendApiJson(context, {
        _class: 'hudson.model.User',
        absoluteUrl: `${context.rootUrl}user/${encodeURIComponent(user.id)}`,
        description: null,
        fullName: user.fullName,
        id: user.id,
        property: [{ _class: 'jenkins.security.ApiTokenProperty' }, { _class: 'hudson.tasks.Mailer$UserProperty', address: `${user.id}@example.com` }],
      });
    }
    return true;
  }
  if (path === 'whoAmI/api/json') {
    if (allowMethods(context, 'GET')) {
      sendApiJson(context, {
        _class: 'hudson.security.WhoAmI',
        anonymous: user.anonymous,
        authenticated: !user.anonymous,
        authorities: user.anonymous ? ['anonymous'] : ['authenticated'],
        details: null,
        name: user.id,
        toString: user.anonymous ? 'AnonymousAuthenticationToken' : `UsernamePasswordAuthenticationToken [Principal=${user.id}, Authenticated=true]`,
      });
    }
    return true;
  }
  if (path === 'queue/api/json') {
    if (allowMethods(context, 'GET')) {
      const items = [...state.queue.values()].filter((item) => item.state === 'waiting').map(represent.queueItemJson);
      sendApiJson(context, { _class: 'hudson.model.Queue', discoverableItems: [], items });
    }
    return true;
  }
  const queueItem = /^queue\/item\/(\d+)\/(api\/json|cancelQueue)$/.exec(path);
  if (queueItem) {
    const item = state.queue.get(Number(queueItem[1]));
    if (!item) {
      notFound(context);
      return true;
    }
    if (queueItem[2] === 'api/json') {
      if (allowMethods(context, 'GET')) sendApiJson(context, represent.queueItemJson(item));
    } else if (allowMethods(context, 'POST')) {
      state.cancelQueueItem(item);
      redirect(response, `${context.rootUrl}queue/`);
    }
    return true;
  }
  if (path === 'queue/cancelItem') {
    if (!allowMethods(context, 'POST')) return true;
    const item = state.queue.get(Number(context.form.get('id')));
    if (!item) notFound(context);
    else {
      state.cancelQueueItem(item);
      response.writeHead(204);
      response.end();
    }
    return true;
  }
  return false;
}
