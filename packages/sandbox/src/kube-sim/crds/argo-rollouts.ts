import type { KubeObject, SimCluster } from '../cluster-types.ts';

interface CrdSpec {
  plural: string;
  singular: string;
  kind: string;
  shortNames: string[];
  scope?: 'Namespaced' | 'Cluster';
  subresources?: Record<string, unknown>;
  columns: Array<{ name: string; type: string; jsonPath: string; description?: string }>;
}

const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since resource was created' };

function crd(spec: CrdSpec): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${spec.plural}.argoproj.io`,
      labels: { 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/part-of': 'argo-rollouts' },
      annotations: { 'controller-gen.kubebuilder.io/version': 'v0.7.0' },
    },
    spec: {
      group: 'argoproj.io',
      names: { kind: spec.kind, listKind: `${spec.kind}List`, plural: spec.plural, singular: spec.singular, shortNames: spec.shortNames },
      scope: spec.scope ?? 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          additionalPrinterColumns: spec.columns,
          // The real schemas are thousands of lines; unknown fields are preserved, as the real CRDs do below spec.
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
          ...(spec.subresources ? { subresources: spec.subresources } : {}),
        },
      ],
    },
  };
}

/** The Argo Rollouts v1.7 CRDs (names, scopes, printer columns and subresources as upstream ships them). */
export const argoRolloutsCrds: KubeObject[] = [
  crd({
    plural: 'rollouts',
    singular: 'rollout',
    kind: 'Rollout',
    shortNames: ['ro'],
    subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.HPAReplicas', labelSelectorPath: '.status.selector' } },
    columns: [
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Number of desired pods' },
      { name: 'Current', type: 'integer', jsonPath: '.status.replicas', description: 'Total number of non-terminated pods targeted by this rollout' },
      { name: 'Up-to-date', type: 'integer', jsonPath: '.status.updatedReplicas', description: 'Total number of non-terminated pods targeted by this rollout that have the desired template spec' },
      { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this rollout' },
      age,
    ],
  }),
  crd({
    plural: 'analysisruns',
    singular: 'analysisrun',
    kind: 'AnalysisRun',
    shortNames: ['ar'],
    subresources: { status: {} },
    columns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'AnalysisRun status' }, age],
  }),
  crd({ plural: 'analysistemplates', singular: 'analysistemplate', kind: 'AnalysisTemplate', shortNames: ['at'], columns: [age] }),
  crd({ plural: 'clusteranalysistemplates', singular: 'clusteranalysistemplate', kind: 'ClusterAnalysisTemplate', shortNames: ['cat'], scope: 'Cluster', columns: [age] }),
  crd({
    plural: 'experiments',
    singular: 'experiment',
    kind: 'Experiment',
    shortNames: ['exp'],
    subresources: { status: {} },
    columns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Experiment status' }, age],
  }),
];

/** Creates (or leaves in place) the Argo Rollouts CRDs; their resources are served as soon as this returns. */
export function installArgoRolloutsCrds(cluster: SimCluster): void {
  const crds = cluster.registry.byResource('apiextensions.k8s.io', 'customresourcedefinitions')!;
  for (const definition of argoRolloutsCrds) {
    if (!cluster.store.get(crds, undefined, definition.metadata.name!)) cluster.store.create(crds, definition);
  }
}
