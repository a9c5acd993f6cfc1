/**
 * The built-in Kubernetes kinds that live outside namespaces (the `namespaced: false` rows of a v1.31 API server's
 * discovery, `kubectl api-resources --namespaced=false`), by kind and by every name kubectl accepts for them (plural,
 * singular, short names, optionally `.group`). A definite table rather than a pattern: "pods.metrics.k8s.io" is
 * namespaced while "nodes.metrics.k8s.io" is not, and a name that merely starts like a cluster-scoped one is not one.
 * Custom resources are not listed here: their scope is the CRD's `spec.scope`, which the cluster knows, not the engine.
 */

interface ClusterScopedKind {
  kind: string;
  group: string;
  /** plural first, then singular and short names */
  names: string[];
}

const table: ClusterScopedKind[] = [
  { kind: 'Namespace', group: '', names: ['namespaces', 'namespace', 'ns'] },
  { kind: 'Node', group: '', names: ['nodes', 'node', 'no'] },
  { kind: 'PersistentVolume', group: '', names: ['persistentvolumes', 'persistentvolume', 'pv'] },
  { kind: 'ComponentStatus', group: '', names: ['componentstatuses', 'componentstatus', 'cs'] },
  { kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', names: ['mutatingwebhookconfigurations', 'mutatingwebhookconfiguration'] },
  { kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', names: ['validatingwebhookconfigurations', 'validatingwebhookconfiguration'] },
  { kind: 'ValidatingAdmissionPolicy', group: 'admissionregistration.k8s.io', names: ['validatingadmissionpolicies', 'validatingadmissionpolicy'] },
  { kind: 'ValidatingAdmissionPolicyBinding', group: 'admissionregistration.k8s.io', names: ['validatingadmissionpolicybindings', 'validatingadmissionpolicybinding'] },
  { kind: 'CustomResourceDefinition', group: 'apiextensions.k8s.io', names: ['customresourcedefinitions', 'customresourcedefinition', 'crd', 'crds'] },
  { kind: 'APIService', group: 'apiregistration.k8s.io', names: ['apiservices', 'apiservice'] },
  { kind: 'SelfSubjectReview', group: 'authentication.k8s.io', names: ['selfsubjectreviews', 'selfsubjectreview'] },
  { kind: 'TokenReview', group: 'authentication.k8s.io', names: ['tokenreviews', 'tokenreview'] },
  { kind: 'SelfSubjectAccessReview', group: 'authorization.k8s.io', names: ['selfsubjectaccessreviews', 'selfsubjectaccessreview'] },
  { kind: 'SelfSubjectRulesReview', group: 'authorization.k8s.io', names: ['selfsubjectrulesreviews', 'selfsubjectrulesreview'] },
  { kind: 'SubjectAccessReview', group: 'authorization.k8s.io', names: ['subjectaccessreviews', 'subjectaccessreview'] },
  { kind: 'CertificateSigningRequest', group: 'certificates.k8s.io', names: ['certificatesigningrequests', 'certificatesigningrequest', 'csr'] },
  { kind: 'FlowSchema', group: 'flowcontrol.apiserver.k8s.io', names: ['flowschemas', 'flowschema'] },
  { kind: 'PriorityLevelConfiguration', group: 'flowcontrol.apiserver.k8s.io', names: ['prioritylevelconfigurations', 'prioritylevelconfiguration'] },
  { kind: 'NodeMetrics', group: 'metrics.k8s.io', names: ['nodes', 'node'] },
  { kind: 'IngressClass', group: 'networking.k8s.io', names: ['ingressclasses', 'ingressclass'] },
  { kind: 'IPAddress', group: 'networking.k8s.io', names: ['ipaddresses', 'ipaddress', 'ip'] },
  { kind: 'ServiceCIDR', group: 'networking.k8s.io', names: ['servicecidrs', 'servicecidr'] },
  { kind: 'RuntimeClass', group: 'node.k8s.io', names: ['runtimeclasses', 'runtimeclass'] },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', names: ['clusterroles', 'clusterrole'] },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', names: ['clusterrolebindings', 'clusterrolebinding'] },
  { kind: 'PriorityClass', group: 'scheduling.k8s.io', names: ['priorityclasses', 'priorityclass', 'pc'] },
  { kind: 'CSIDriver', group: 'storage.k8s.io', names: ['csidrivers', 'csidriver'] },
  { kind: 'CSINode', group: 'storage.k8s.io', names: ['csinodes', 'csinode'] },
  { kind: 'StorageClass', group: 'storage.k8s.io', names: ['storageclasses', 'storageclass', 'sc'] },
  { kind: 'VolumeAttachment', group: 'storage.k8s.io', names: ['volumeattachments', 'volumeattachment'] },
  { kind: 'VolumeAttributesClass', group: 'storage.k8s.io', names: ['volumeattributesclasses', 'volumeattributesclass', 'vac'] },
];

/** Groups whose bare (ungrouped) names kubectl resolves to another kind first: `nodes` is the core Node, not NodeMetrics. */
const byBareName = new Map<string, ClusterScopedKind>();
const byQualifiedName = new Map<string, ClusterScopedKind>();
const byKind = new Map<string, ClusterScopedKind>();
for (const entry of table) {
  for (const name of entry.names) {
    if (!byBareName.has(name)) byBareName.set(name, entry);
    byQualifiedName.set(entry.group ? `${name}.${entry.group}` : name, entry);
  }
  byKind.set(`${entry.group}/${entry.kind}`, entry);
  if (!byKind.has(`*/${entry.kind}`)) byKind.set(`*/${entry.kind}`, entry);
}

/**
 * Whether a resource type as kubectl takes it ("nodes", "pv", "clusterroles.rbac.authorization.k8s.io",
 * "nodes.metrics.k8s.io", "Namespace") names a built-in cluster-scoped kind. A group-qualified name matches only in
 * its own group ("pods.metrics.k8s.io" is namespaced).
 */
export function isClusterScopedResource(resourceType: string): boolean {
  const value = resourceType.trim();
  if (!value) return false;
  const lower = value.toLowerCase();
  if (byQualifiedName.has(lower)) return true;
  const dot = lower.indexOf('.');
  if (dot === -1) return byBareName.has(lower) || byKind.has(`*/${value}`);
  // "<name>.<version>.<group>" (kubectl accepts a version too): the group is what follows the version
  const [name, ...rest] = lower.split('.');
  const maybeVersion = rest[0] ?? '';
  if (/^v\d+((alpha|beta)\d+)?$/.test(maybeVersion)) return byQualifiedName.has([name, ...rest.slice(1)].join('.')) || (rest.length === 1 && byQualifiedName.has(name!));
  return false;
}

/**
 * Whether a manifest document's `kind` (with its `apiVersion`) is a built-in cluster-scoped kind. Without the group
 * (apiVersion absent) the kind alone decides.
 */
export function isClusterScopedKind(kind: string, apiVersion?: string): boolean {
  const group = apiVersion === undefined ? undefined : apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return group === undefined ? byKind.has(`*/${kind}`) : byKind.has(`${group}/${kind}`);
}

export interface ManifestObject {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
}

/**
 * The objects of a multi-document YAML (or JSON) manifest: kind, apiVersion and metadata.namespace of each. Read by
 * lines (the engine carries no YAML parser): `kind:`/`apiVersion:` at the document's top level, `namespace:` as a
 * child of `metadata:` (block or flow style). A document it cannot read is reported with no kind, which callers
 * treat as "cannot place it" rather than as namespaced.
 */
export function manifestObjects(text: string): ManifestObject[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return jsonObjects(trimmed);
  const objects: ManifestObject[] = [];
  for (const document of text.split(/^---[^\n]*$/m)) {
    if (!document.replace(/#.*$/gm, '').trim()) continue;
    const object: ManifestObject = {};
    let inMetadata = false;
    let metadataIndent = -1;
    for (const line of document.split('\n')) {
      if (!line.trim() || line.trim().startsWith('#')) continue;
      const indent = line.length - line.trimStart().length;
      const top = /^(kind|apiVersion):\s*["']?([^"'#\s]+)["']?\s*(#.*)?$/.exec(line);
      if (top) {
        object[top[1] as 'kind' | 'apiVersion'] = top[2]!;
        inMetadata = false;
        continue;
      }
      const metadata = /^metadata:\s*(.*)$/.exec(line);
      if (metadata) {
        const flow = /namespace:\s*["']?([a-z0-9][a-z0-9.-]*)["']?/.exec(metadata[1] ?? '');
        if (flow) object.namespace = flow[1]!;
        inMetadata = !(metadata[1] ?? '').trim();
        metadataIndent = -1;
        continue;
      }
      if (indent === 0) {
        inMetadata = false;
        continue;
      }
      if (inMetadata) {
        if (metadataIndent === -1) metadataIndent = indent;
        const child = indent === metadataIndent ? /^\s*namespace:\s*["']?([a-z0-9][a-z0-9.-]*)["']?\s*(#.*)?$/.exec(line) : null;
        if (child) object.namespace = child[1]!;
      }
    }
    objects.push(object);
  }
  return objects;
}

function jsonObjects(text: string): ManifestObject[] {
  try {
    const value = JSON.parse(text) as unknown;
    const list = Array.isArray(value) ? value : (value as { kind?: string; items?: unknown[] }).kind === 'List' ? ((value as { items?: unknown[] }).items ?? []) : [value];
    return list.map((item) => {
      const object = item as { kind?: unknown; apiVersion?: unknown; metadata?: { namespace?: unknown } };
      return {
        ...(typeof object.kind === 'string' ? { kind: object.kind } : {}),
        ...(typeof object.apiVersion === 'string' ? { apiVersion: object.apiVersion } : {}),
        ...(typeof object.metadata?.namespace === 'string' ? { namespace: object.metadata.namespace } : {}),
      };
    });
  } catch {
    return [{}];
  }
}
