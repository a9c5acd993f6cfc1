/** `kubectl describe ingress`, natively (IngressDescriber, networking.k8s.io/v1). */
import type { DescribeContext, NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { compareStrings, printAnnotationsMultiline, printLabelsMultiline, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1, LEVEL_2 } from './describe-writer.ts';
import { endpointSlicesOf, formatEndpointSlices } from './endpoint-slices.ts';

export const describeIngress: NativeDescriber = {
  group: 'networking.k8s.io',
  kind: 'Ingress',
  version: 'v1',
  async describe(ingress, context) {
    const namespace: string = ingress.metadata.namespace;
    const backends = new Map<string, Promise<string>>();
    // describeBackendV1: "svc:port (endpoints)"; memoised per backend, since every path repeats the same lookups.
    const describeBackend = (backend: KubeObject): Promise<string> => {
      const key = JSON.stringify(backend);
      if (!backends.has(key)) backends.set(key, backendText(context, namespace, backend));
      return backends.get(key)!;
    };
    const events = await eventsOrNone(context, referenceTo(ingress, 'Ingress'));
    const spec = ingress.spec ?? {};
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${ingress.metadata.name}\n`);
    printLabelsMultiline(writer, 'Labels', ingress.metadata.labels);
    writer.write(LEVEL_0, `Namespace:\t${namespace}\n`);
    const addresses = new Set<string>();
    for (const entry of ingress.status?.loadBalancer?.ingress ?? []) {
      if (entry.ip) addresses.add(entry.ip);
      else if (entry.hostname) addresses.add(entry.hostname);
    }
    writer.write(LEVEL_0, `Address:\t${[...addresses].sort(compareStrings).join(',')}\n`);
    writer.write(LEVEL_0, `Ingress Class:\t${spec.ingressClassName ?? '<none>'}\n`);
    const defaultBackend = spec.defaultBackend ? await describeBackend(spec.defaultBackend) : '<default>';
    writer.write(LEVEL_0, `Default backend:\t${defaultBackend}\n`);
    if (spec.tls?.length) {
      writer.write(LEVEL_0, 'TLS:\n');
      for (const tls of spec.tls) {
        const hosts = (tls.hosts ?? []).join(',');
        writer.write(LEVEL_1, tls.secretName ? `${tls.secretName} terminates ${hosts}\n` : `SNI routes ${hosts}\n`);
      }
    }
    writer.write(LEVEL_0, 'Rules:\n  Host\tPath\tBackends\n');
    writer.write(LEVEL_1, '----\t----\t--------\n');
    let count = 0;
    for (const rule of spec.rules ?? []) {
      if (!rule.http) continue;
      count += 1;
      writer.write(LEVEL_1, `${rule.host || '*'}\t\n`);
      for (const path of rule.http.paths ?? []) writer.write(LEVEL_2, `\t${path.path ?? ''} \t${await describeBackend(path.backend ?? {})}\n`);
    }
    if (count === 0) writer.write(LEVEL_1, `*\t*\t${defaultBackend}\n`);
    printAnnotationsMultiline(writer, 'Annotations', ingress.metadata.annotations);
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

async function backendText(context: DescribeContext, namespace: string, backend: KubeObject): Promise<string> {
  if (backend.service) {
    const port = backend.service.port?.number ? String(backend.service.port.number) : (backend.service.port?.name ?? '');
    const label = `${backend.service.name}:${port}`;
    try {
      const slices = await endpointSlicesOf(context, namespace, backend.service.name);
      const service = await context.http.json<KubeObject>({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(backend.service.name)}`, signal: context.signal });
      let portName = '';
      for (const servicePort of service.spec?.ports ?? []) {
        if (backend.service.port?.number && backend.service.port.number === servicePort.port) portName = servicePort.name ?? '';
        else if (backend.service.port?.name && backend.service.port.name === servicePort.name) portName = servicePort.name ?? '';
      }
      return `${label} (${formatEndpointSlices(slices, new Set([portName]))})`;
    } catch (error) {
      if (context.signal?.aborted) throw error;
      return `${label} (<error: ${error instanceof Error ? error.message : String(error)}>)`;
    }
  }
  if (backend.resource) {
    const group = backend.resource.apiGroup ?? '<none>';
    return `APIGroup: ${group}, Kind: ${backend.resource.kind ?? ''}, Name: ${backend.resource.name ?? ''}`;
  }
  return '';
}
