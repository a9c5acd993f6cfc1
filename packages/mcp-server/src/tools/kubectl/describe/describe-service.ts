/** `kubectl describe service`, natively (ServiceDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { formatLabels, printAnnotationsMultiline, printLabelsMultiline, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';
import { endpointSlicesOf, formatEndpointSlices } from './endpoint-slices.ts';

export const describeService: NativeDescriber = {
  group: '',
  kind: 'Service',
  version: 'v1',
  async describe(service, context) {
    // kubectl ignores a failed EndpointSlice listing and prints <none>.
    const [slices, events] = await Promise.all([
      endpointSlicesOf(context, service.metadata.namespace, service.metadata.name).catch((error) => {
        if (context.signal?.aborted) throw error;
        return [] as KubeObject[];
      }),
      eventsOrNone(context, referenceTo(service, 'Service')),
    ]);
    const spec = service.spec ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${service.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${service.metadata.namespace}\n`);
    printLabelsMultiline(writer, 'Labels', service.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', service.metadata.annotations);
    writer.write(LEVEL_0, `Selector:\t${formatLabels(spec.selector)}\n`);
    writer.write(LEVEL_0, `Type:\t${spec.type ?? ''}\n`);
    if (spec.ipFamilyPolicy) writer.write(LEVEL_0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
    writer.write(LEVEL_0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
    writer.write(LEVEL_0, `IP:\t${spec.clusterIP ?? ''}\n`);
    writer.write(LEVEL_0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
    if (spec.externalIPs?.length) writer.write(LEVEL_0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
    if (spec.loadBalancerIP) writer.write(LEVEL_0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
    if (spec.externalName) writer.write(LEVEL_0, `External Name:\t${spec.externalName}\n`);
    const ingress: KubeObject[] = service.status?.loadBalancer?.ingress ?? [];
    if (ingress.length > 0) {
      const list = ingress.map((entry) => (entry.ip ? `${entry.ip}${entry.ipMode ? ` (${entry.ipMode})` : ''}` : (entry.hostname ?? ''))).join(', ');
      writer.write(LEVEL_0, `LoadBalancer Ingress:\t${list}\n`);
    }
    for (const port of (spec.ports ?? []) as KubeObject[]) {
      const name = port.name || '<unset>';
      writer.write(LEVEL_0, `Port:\t${name}\t${port.port ?? 0}/${port.protocol ?? ''}\n`);
      writer.write(LEVEL_0, `TargetPort:\t${port.targetPort ?? 0}/${port.protocol ?? ''}\n`);
      if (port.nodePort) writer.write(LEVEL_0, `NodePort:\t${name}\t${port.nodePort}/${port.protocol ?? ''}\n`);
      writer.write(LEVEL_0, `Endpoints:\t${formatEndpointSlices(slices, new Set([port.name ?? '']))}\n`);
    }
    writer.write(LEVEL_0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
    if (spec.externalTrafficPolicy) writer.write(LEVEL_0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
    if (spec.internalTrafficPolicy) writer.write(LEVEL_0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
    if (spec.healthCheckNodePort) writer.write(LEVEL_0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
    if (spec.loadBalancerSourceRanges?.length) writer.write(LEVEL_0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
    if (spec.trafficDistribution) writer.write(LEVEL_0, `Traffic Distribution:\t${spec.trafficDistribution}\n`);
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};
