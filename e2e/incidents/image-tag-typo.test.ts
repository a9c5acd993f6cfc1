/**
 * Incident: a deploy references `nginx:1.277`, a tag the registry does not have. The pods sit in
 * ErrImagePull/ImagePullBackOff with the registry's "not found" in the events; k8s_set_image fixes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePods, startIncident, waitFor, type IncidentHarness } from './support/incident-harness.ts';

const setup = `apiVersion: apps/v1
kind: Deployment
metadata: {name: storefront}
spec:
  replicas: 2
  selector: {matchLabels: {app: storefront}}
  template:
    metadata: {labels: {app: storefront}}
    spec:
      containers: [{name: web, image: "nginx:1.277", ports: [{containerPort: 80}]}]
`;

describe('incident: image tag typo', () => {
  let incident: IncidentHarness;
  beforeAll(async () => {
    incident = await startIncident(setup);
  });
  afterAll(() => incident?.close());

  it('shows ImagePullBackOff and the registry answer in the events', async () => {
    const pods = await waitFor(async () => {
      const current = await livePods(incident, 'app=storefront');
      return current.length === 2 && current.every((pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff') && current;
    });
    expect(await incident.ok(['get', 'pods', '-l', 'app=storefront', '--no-headers'])).toMatch(/0\/1\s+ImagePullBackOff\s+0/);
    const described = await incident.ok(['describe', 'pod', pods[0].metadata.name]);
    expect(described).toContain('Failed to pull image "nginx:1.277": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.277": failed to resolve reference "docker.io/library/nginx:1.277": docker.io/library/nginx:1.277: not found');
    expect(described).toMatch(/Warning\s+Failed\s+.*Error: ErrImagePull/);
    expect(described).toMatch(/Normal\s+BackOff\s+.*Back-off pulling image "nginx:1.277"/);
    expect(await incident.ok(['get', 'deployment', 'storefront', '--no-headers'])).toMatch(/^storefront\s+0\/2\s+2\s+0\s+/);
  });

  it('is fixed with k8s_set_image: the rollout completes with pulled, running pods', async () => {
    expect(await incident.fix('k8s_set_image', { resource_name: 'storefront', resource_type: 'deployment', container_images: 'web=nginx:1.27' })).toContain('storefront');
    expect(await incident.ok(['rollout', 'status', 'deployment/storefront', '--timeout=30s'])).toContain('successfully rolled out');
    const pods = await livePods(incident, 'app=storefront');
    expect(pods.map((pod) => pod.status.containerStatuses[0].imageID)).toEqual([expect.stringMatching(/^docker\.io\/library\/nginx@sha256:/), expect.stringMatching(/^docker\.io\/library\/nginx@sha256:/)]);
    expect(await incident.ok(['describe', 'pod', pods[0].metadata.name])).toMatch(/Normal\s+Pulled\s+.*Successfully pulled image "nginx:1.27"/);
  });
});
