import { describe, expect, it } from 'vitest';
import { namesBeyond } from './cel-expression.ts';

// Which policies a cluster can judge at admission, where only the objects, their namespaces and the cluster are known.
describe('namesBeyond', () => {
  const known = ['objects', 'namespaces', 'cluster'] as const;

  it('names every input an expression reads beyond the known ones, in the input order', () => {
    expect(namesBeyond('objects.exists(o, o.after.spec.replicas == 0) && cluster.labels.env == "prod"', known)).toBeUndefined();
    expect(namesBeyond('tool == "k8s_scale" && args.replicas == 0', known)).toEqual(['tool', 'args']);
    expect(namesBeyond('"prod" in namespaces && (requester.role == "admin" || now.getHours() > 18)', known)).toEqual(['requester', 'now']);
  });

  it('a name used only as a comprehension variable or inside a string is not read', () => {
    expect(namesBeyond('objects.exists(tool, tool.after.kind == "Deployment") && "risks" in namespaces', known)).toBeUndefined();
  });
});
