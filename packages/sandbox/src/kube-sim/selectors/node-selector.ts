import type { KubeObject } from '../cluster-types.ts';

/**
 * A NodeSelector's terms against a node (the scheduler's required node affinity, a PersistentVolume's node
 * affinity): the terms are ORed, a term's expressions ANDed; matchExpressions read labels, matchFields the node's
 * name. No terms: every node matches.
 */
export function nodeSelectorTermsMatch(terms: any[], node: KubeObject): boolean {
  if (terms.length === 0) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some((term) =>
    [...(term.matchExpressions ?? []), ...(term.matchFields ?? []).map((field: any) => ({ ...field, field: true }))].every((expression: any) => {
      const value = expression.field ? (expression.key === 'metadata.name' ? node.metadata.name : undefined) : labels[expression.key];
      const values: string[] = expression.values ?? [];
      switch (expression.operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    }),
  );
}
