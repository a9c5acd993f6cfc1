/**
 * Cached API discovery: turns what a user types ("po", "deploy", "deployments.apps", "Rollout") into
 * the group/version/resource the API serves. Cached for a few minutes and refreshed once on a miss, so
 * a CRD installed a moment ago is still found.
 */
import { ToolInputError } from '../contract/errors.ts';
import type { KubeHttp } from './create-kube-http.ts';
import { findResource, resourcesOf, type ApiResourceList, type ResourceInfo } from '@skyflo/protocol';

export type { ResourceInfo } from '@skyflo/protocol';

export interface Discovery {
  resolve(resourceType: string): Promise<ResourceInfo>;
  all(): Promise<ResourceInfo[]>;
  invalidate(): void;
}

export function createDiscovery(kubeHttp: KubeHttp, options: { ttlMs?: number; now?: () => number } = {}): Discovery {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cache: { at: number; resources: Promise<ResourceInfo[]> } | undefined;

  async function load(): Promise<ResourceInfo[]> {
    const groupVersions = ['v1'];
    const groups = await kubeHttp.json<{ groups: Array<{ name: string; preferredVersion?: { groupVersion: string }; versions: Array<{ groupVersion: string }> }> }>({ path: '/apis' });
    for (const group of groups.groups ?? []) {
      const preferred = group.preferredVersion?.groupVersion ?? group.versions[0]?.groupVersion;
      if (preferred) groupVersions.push(preferred);
    }
    const lists = await Promise.all(
      groupVersions.map((groupVersion) =>
        kubeHttp.json<ApiResourceList>({ path: groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}` }).catch(() => undefined),
      ),
    );
    return resourcesOf(lists);
  }

  function current(): Promise<ResourceInfo[]> {
    if (!cache || now() - cache.at > ttlMs) {
      const resources = load();
      cache = { at: now(), resources };
      resources.catch(() => {
        cache = undefined;
      });
    }
    return cache.resources;
  }

  const find = findResource;

  return {
    async resolve(resourceType) {
      let resources = await current();
      let info = find(resources, resourceType);
      if (!info) {
        cache = undefined;
        resources = await current();
        info = find(resources, resourceType);
      }
      if (!info) {
        throw new ToolInputError(`Unknown resource type "${resourceType}": the cluster does not serve it.`, {
          hint: 'use a plural name such as pods, deployments, services, or a short name such as po/deploy/svc; for CRDs use <plural>.<group>',
          code: 'NOT_FOUND',
        });
      }
      return info;
    },
    all: current,
    invalidate() {
      cache = undefined;
    },
  };
}

export { apiVersionOf, resourcePath } from '@skyflo/protocol';
