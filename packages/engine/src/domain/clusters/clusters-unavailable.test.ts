import { describe, expect, it } from 'vitest';
import { clustersUnavailableMessage } from './clusters-unavailable.ts';

describe('clustersUnavailableMessage', () => {
  it('keeps the MCP server\'s words for a missing kubeconfig and points to the sandbox', () => {
    const error = Object.assign(new Error('No kubeconfig found: /home/a/.kube/config does not exist, KUBECONFIG and --kubeconfig are unset, and this is not a pod (KUBERNETES_SERVICE_HOST is unset). Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account.'), { name: 'KubeConfigNotFoundError' });
    const message = clustersUnavailableMessage(error);
    expect(message).toMatch(/^No kubeconfig found: .* Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account\. /);
    expect(message).toContain('`npm run sandbox`');
  });

  it('drops the tool-call wrapping and the hint meant for the model', () => {
    const error = new Error('list_clusters failed: Failed to run list_clusters: No kubeconfig found: /h/.kube/config does not exist. Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account.\nTry: tell the user the Skyflo MCP server has no cluster configured; an operator must fix its deployment');
    const message = clustersUnavailableMessage(error);
    expect(message).toMatch(/^No kubeconfig found: \/h\/\.kube\/config does not exist\. Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account\. No cluster to try Skyflo on\? `npm run sandbox`/);
    expect(message).not.toMatch(/Try:|list_clusters/);
  });

  it('says the clusters could not be listed, without the sandbox, when the kubeconfig is not the problem', () => {
    const message = clustersUnavailableMessage(new Error('connect ECONNREFUSED 127.0.0.1:8888'));
    expect(message).toBe('The clusters could not be listed: connect ECONNREFUSED 127.0.0.1:8888.');
  });
});
