import type { KubeObject, ObjectStore } from '../cluster-types.ts';
import type { ConnectFailure, Connection, Listener, PodNetwork, Resolution } from '../containers/process-types.ts';
import type { ResourceTypes } from '../workloads/resource-types.ts';
import { connectionAllowed, type PolicyPeer } from './network-policy.ts';

/** A pod's network namespace: its IP and the sockets its containers listen on. */
export interface PodSandbox {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  /** `TCP/80` → listener */
  listeners: Map<string, Listener>;
}

export interface SandboxDirectory {
  byIp(ip: string): PodSandbox | undefined;
}

export const clusterDomain = 'cluster.local';
export const kubernetesServiceIp = '10.96.0.1';
export const clusterDnsIp = '10.96.0.10';
const kubeDnsPeer: PolicyPeer = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.2', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }] };

/** The API server as seen from a pod: HTTPS on 10.96.0.1:443, anonymous requests forbidden. */
const apiServerListener: Listener = {
  port: 443,
  protocol: 'TCP',
  container: 'kube-apiserver',
  program: 'kube-apiserver tls',
  http: (request) => ({
    status: 403,
    headers: { 'content-type': 'application/json' },
    body: `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `forbidden: User "system:anonymous" cannot get path "${request.path}"`, reason: 'Forbidden', details: {}, code: 403 }, null, 2)}\n`,
  }),
};

function isIp(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text);
}

/**
 * The cluster's Service network as kube-proxy and CoreDNS make it: names resolve to ClusterIPs (or, for
 * headless Services, to ready pod IPs), a ClusterIP:port goes to a ready endpoint of the EndpointSlices,
 * and NetworkPolicies decide which connections and DNS queries get through (dropped packets time out).
 */
export function createClusterNetwork(deps: { store: ObjectStore; types: ResourceTypes; sandboxes: SandboxDirectory }) {
  const { store, types } = deps;
  const roundRobin = new Map<string, number>();
  const services = () => types.get('', 'services');
  const policies = (namespace: string) => {
    const type = types.find('networking.k8s.io', 'networkpolicies');
    return type ? store.list(type, namespace) : [];
  };
  const namespaceLabels = (name: string) => store.get(types.get('', 'namespaces'), undefined, name)?.metadata.labels;

  function peerOf(pod: KubeObject | undefined, ip: string): PolicyPeer | undefined {
    if (!pod) return undefined;
    const ports = (pod.spec?.containers ?? []).flatMap((container: any) => container.ports ?? []);
    return { namespace: pod.metadata.namespace ?? 'default', labels: pod.metadata.labels ?? {}, ip, ports };
  }

  function podOf(sandbox: PodSandbox): KubeObject | undefined {
    const pod = store.get(types.pods(), sandbox.namespace, sandbox.name);
    return pod?.metadata.uid === sandbox.uid ? pod : undefined;
  }

  /** Ready endpoints of a Service port, from its EndpointSlices (what kube-proxy programs). */
  function readyEndpoints(service: KubeObject, servicePort: any): Array<{ ip: string; port: number }> {
    const type = types.find('discovery.k8s.io', 'endpointslices');
    if (!type) return [];
    const result: Array<{ ip: string; port: number }> = [];
    for (const slice of store.list(type, service.metadata.namespace)) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== service.metadata.name) continue;
      const port = (slice.ports ?? []).find((candidate: any) => (candidate.name ?? '') === (servicePort.name ?? '') && (candidate.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP'));
      if (!port) continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false) continue;
        for (const ip of endpoint.addresses ?? []) result.push({ ip, port: port.port });
      }
    }
    return result.sort((left, right) => (left.ip < right.ip ? -1 : left.ip > right.ip ? 1 : 0));
  }

  function serviceByIp(ip: string): KubeObject | undefined {
    return store.list(services()).find((service) => service.spec?.clusterIP === ip || (service.spec?.clusterIPs ?? []).includes(ip));
  }

  function lookupFqdn(fqdn: string): { addresses: string[]; canonicalName?: string } | undefined {
    const suffix = `.svc.${clusterDomain}`;
    if (fqdn === `kubernetes.default${suffix}`) return { addresses: [kubernetesServiceIp] };
    if (fqdn.endsWith(`.pod.${clusterDomain}`)) {
      const [dashed] = fqdn.split('.');
      const ip = dashed.replace(/-/g, '.');
      return isIp(ip) && deps.sandboxes.byIp(ip) ? { addresses: [ip] } : undefined;
    }
    if (!fqdn.endsWith(suffix)) return undefined;
    const labels = fqdn.slice(0, -suffix.length).split('.');
    if (labels.length === 2) {
      const [name, namespace] = labels;
      const service = store.get(services(), namespace, name);
      if (!service) return undefined;
      if (service.spec?.type === 'ExternalName') return { addresses: [], canonicalName: service.spec.externalName };
      if (service.spec?.clusterIP === 'None') {
        const ips = [...new Set((service.spec?.ports ?? [{}]).flatMap((port: any) => readyEndpoints(service, port).map((endpoint) => endpoint.ip)))];
        return ips.length ? { addresses: ips as string[] } : undefined;
      }
      return service.spec?.clusterIP ? { addresses: [service.spec.clusterIP] } : undefined;
    }
    if (labels.length === 3) {
      // <hostname>.<headless service>.<namespace>: StatefulSet pods (spec.subdomain, or the set's serviceName).
      const [hostname, serviceName, namespace] = labels;
      const pod = store.get(types.pods(), namespace, hostname);
      if (!pod?.status?.podIP) return undefined;
      const ownerSet = pod.metadata.ownerReferences?.find((reference) => reference.kind === 'StatefulSet');
      const set = ownerSet ? store.get(types.get('apps', 'statefulsets'), namespace, ownerSet.name) : undefined;
      if (pod.spec?.subdomain === serviceName || set?.spec?.serviceName === serviceName) return { addresses: [pod.status.podIP] };
    }
    return undefined;
  }

  function forPod(pod: KubeObject, podIp: string, ownSandbox: () => PodSandbox | undefined): PodNetwork {
    const namespace = pod.metadata.namespace ?? 'default';
    const source = () => peerOf(store.get(types.pods(), namespace, pod.metadata.name!) ?? pod, podIp);
    const dnsBlocked = () => !connectionAllowed({ policies, namespaceLabels, source: source(), destination: kubeDnsPeer, port: 53, protocol: 'UDP', destinationIsPod: false });

    function deliver(ip: string, port: number, protocol: 'TCP' | 'UDP', failure: (error: ConnectFailure['error']) => ConnectFailure): Connection | ConnectFailure {
      const sandbox = deps.sandboxes.byIp(ip);
      if (!sandbox) return failure('unreachable');
      const own = ownSandbox();
      if (!own || sandbox.uid !== own.uid) {
        const destination = podOf(sandbox);
        const allowed = connectionAllowed({ policies, namespaceLabels, source: source(), destination: peerOf(destination, ip) ?? { namespace: sandbox.namespace, labels: {}, ip, ports: [] }, port, protocol });
        if (!allowed) return failure('timeout');
      }
      const listener = sandbox.listeners.get(`${protocol}/${port}`);
      if (!listener) return failure('refused');
      return { listener, address: ip, port, podName: sandbox.name };
    }

    return {
      resolve(rawName) {
        const name = rawName.toLowerCase().replace(/\.$/, '');
        if (isIp(name)) return { ok: true, name, addresses: [name] };
        if (name === 'localhost') return { ok: true, name, addresses: ['127.0.0.1'] };
        if (name === pod.metadata.name) return { ok: true, name, addresses: [podIp] };
        if (dnsBlocked()) return { ok: false, name, addresses: [], error: 'TIMEOUT' };
        const dots = name.split('.').length - 1;
        const search = [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
        // resolv.conf has ndots:5: names with fewer dots try the search domains first.
        const candidates = dots < 5 ? [...search.map((domain) => `${name}.${domain}`), name] : [name, ...search.map((domain) => `${name}.${domain}`)];
        for (const candidate of candidates) {
          const found = lookupFqdn(candidate);
          if (!found) continue;
          if (found.canonicalName) return { ok: false, name: candidate, addresses: [], canonicalName: found.canonicalName, error: 'NXDOMAIN', external: true };
          return { ok: true, name: candidate, addresses: found.addresses };
        }
        return { ok: false, name, addresses: [], error: 'NXDOMAIN', external: !name.endsWith(clusterDomain) };
      },
      connect(address, port, protocol = 'TCP') {
        const failure = (error: ConnectFailure['error']): ConnectFailure => ({ error, address, port });
        if (address === '127.0.0.1' || address === podIp) {
          const listener = ownSandbox()?.listeners.get(`${protocol}/${port}`);
          return listener ? { listener, address, port, podName: pod.metadata.name! } : failure('refused');
        }
        if (address === kubernetesServiceIp) return port === 443 ? { listener: apiServerListener, address, port, podName: 'kube-apiserver' } : failure('timeout');
        const service = serviceByIp(address);
        if (service) {
          const servicePort = (service.spec?.ports ?? []).find((candidate: any) => candidate.port === port && (candidate.protocol ?? 'TCP') === protocol);
          // No rule for that port on the ClusterIP: nothing answers, the SYN is dropped.
          if (!servicePort) return failure('timeout');
          const endpoints = readyEndpoints(service, servicePort);
          // kube-proxy rejects connections to a Service without ready endpoints.
          if (endpoints.length === 0) return failure('refused');
          const key = `${service.metadata.namespace}/${service.metadata.name}/${port}`;
          const next = roundRobin.get(key) ?? 0;
          roundRobin.set(key, next + 1);
          const endpoint = endpoints[next % endpoints.length];
          const result = deliver(endpoint.ip, endpoint.port, protocol, (error) => ({ error, address, port }));
          return 'error' in result ? result : { ...result, address, port };
        }
        return deliver(address, port, protocol, failure);
      },
      pingable(address) {
        if (address === '127.0.0.1' || address === podIp) return true;
        const sandbox = deps.sandboxes.byIp(address);
        if (!sandbox) return false;
        const destination = podOf(sandbox);
        return connectionAllowed({ policies, namespaceLabels, source: source(), destination: peerOf(destination, address) ?? { namespace: sandbox.namespace, labels: {}, ip: address, ports: [] }, port: 0, protocol: 'ICMP' });
      },
    } satisfies PodNetwork;
  }

  return { forPod };
}

export type ClusterNetwork = ReturnType<typeof createClusterNetwork>;
export type { Resolution };
