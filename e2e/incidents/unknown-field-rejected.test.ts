/**
 * Incident: a deploy "succeeds" in review but the API server rejects the manifest: `replica: 3` is not a field.
 * kubectl's default strict validation names it; the agent's server-side apply is refused too. Fix: apply the
 * corrected manifest (k8s_apply); the Deployment runs its three replicas.
 */
import { expect, it } from 'vitest';
import { waitFor, incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const manifest = (replicasLine: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: search}
spec:
  ${replicasLine}
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      containers:
      - name: search
        image: registry.local/search:5.1.0
`;

it('rejects the typo with the API server\'s strict decoding error, and runs the corrected manifest', async () => {
  const rejected = await cluster.kubectl(['apply', '-f', '-'], manifest('replica: 3'));
  expect(rejected.code).toBe(1);
  expect(rejected.stderr.trim()).toBe('Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"');
  expect((await cluster.kubectl(['get', 'deployment', 'search'])).stderr).toContain('deployments.apps "search" not found');
  const agent = await cluster.harness.call('k8s_apply', { content: manifest('replica: 3') });
  expect(agent.isError).toBe(true);
  expect(agent.text).toContain('.spec.replica: field not declared in schema');

  expect(await cluster.fix('k8s_apply', { content: manifest('replicas: 3') })).toBe('deployment.apps/search created');

  await waitFor(async () => /^search\s+3\/3\s+3\s+3\s+\d+s$/.test((await cluster.ok(['get', 'deployment', 'search', '--no-headers'])).trim()));
  expect((await cluster.kubectl(['apply', '-f', '-'], manifest('replicas: 3'))).stdout.trim()).toBe('deployment.apps/search configured');
});
