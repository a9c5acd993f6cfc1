import type { KubeObject, ResourceType } from '../cluster-types.ts';

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Orders versions the way Kubernetes prefers them: GA before beta before alpha, higher numbers first. */
function versionPriority(version: string): number[] {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (!match) return [0, 0, 0];
  const stage = match[2] === 'alpha' ? 1 : match[2] === 'beta' ? 2 : 3;
  return [stage, Number(match[1]), Number(match[3] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const left = versionPriority(a);
  const right = versionPriority(b);
  for (let i = 0; i < 3; i++) if (left[i] !== right[i]) return right[i] - left[i];
  return a.localeCompare(b);
}

/** The resource types a CustomResourceDefinition serves, preferred version first. */
export function resourcesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const served = (spec.versions ?? []).filter((version: any) => version.served !== false);
  served.sort((a: any, b: any) => compareVersions(a.name, b.name));
  return served.map((version: any) => {
    const subresources = version.subresources ?? spec.subresources ?? {};
    return {
      group: spec.group,
      version: version.name,
      resource: names.plural,
      singular: names.singular ?? String(names.kind ?? '').toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames,
      categories: names.categories,
      verbs,
      subresources: [...(subresources.status ? ['status'] : []), ...(subresources.scale ? ['scale'] : [])],
    } satisfies ResourceType;
  });
}

/** The CRD's version entry served at `version` (printer columns, scale paths, schema). */
export function crdVersion(crd: KubeObject | undefined, version: string): any {
  return crd?.spec?.versions?.find((candidate: any) => candidate.name === version);
}

/** What the API server requires of a CRD before accepting it (names must agree with the object name). */
export function crdProblems(crd: KubeObject): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const spec = crd.spec ?? {};
  if (!spec.group) problems.push({ field: 'spec.group', message: 'Required value' });
  if (!spec.names?.plural) problems.push({ field: 'spec.names.plural', message: 'Required value' });
  if (!spec.names?.kind) problems.push({ field: 'spec.names.kind', message: 'Required value' });
  if (!['Namespaced', 'Cluster'].includes(spec.scope)) problems.push({ field: 'spec.scope', message: `Unsupported value: "${spec.scope ?? ''}": supported values: "Cluster", "Namespaced"` });
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) problems.push({ field: 'spec.versions', message: 'Invalid value: must have exactly one version marked as storage version' });
  if (spec.names?.plural && spec.group && crd.metadata?.name !== `${spec.names.plural}.${spec.group}`) {
    problems.push({ field: 'metadata.name', message: `Invalid value: "${crd.metadata?.name}": must be spec.names.plural+"."+spec.group` });
  }
  return problems;
}
