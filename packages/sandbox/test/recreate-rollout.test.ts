/** A Recreate Deployment whose template changes: the new pods start once the old ones are gone (not never). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type KubectlHarness } from './support/kubectl-harness.ts';

let harness: KubectlHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

it('rolls a Recreate Deployment over to the new template', async () => {
  const manifest = (image: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: default}\nspec:\n  replicas: 2\n  strategy: {type: Recreate}\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, image: ${image}}]}\n`;
  await harness.ok(['apply', '-f', '-'], { input: manifest('registry.local/db:1') });
  await harness.ok(['rollout', 'status', 'deployment/db', '--timeout=30s']);
  await harness.ok(['apply', '-f', '-'], { input: manifest('registry.local/db:2') });
  await harness.ok(['rollout', 'status', 'deployment/db', '--timeout=30s']);
  const pods = JSON.parse(await harness.ok(['get', 'pods', '-l', 'app=db', '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
  expect(pods.map((pod: any) => pod.spec.containers[0].image)).toEqual(['registry.local/db:2', 'registry.local/db:2']);
});
