import type { KubeObject } from '../cluster-types.ts';
import { matchesStructuredSelector } from '../selectors/label-selector.ts';

/** What policy evaluation needs to know about a pod at one end of a connection. */
export interface PolicyPeer {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  /** the pod's declared container ports, for named ports in rules */
  ports: Array<{ name?: string; containerPort: number; protocol?: string }>;
}

function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const address = ipToNumber(ip);
  const network = ipToNumber(base);
  if (address === undefined || network === undefined) return false;
  const size = Number(bits);
  const mask = size === 0 ? 0 : (~0 << (32 - size)) >>> 0;
  return ((address & mask) >>> 0) === ((network & mask) >>> 0);
}

export function policyTypes(policy: KubeObject): string[] {
  if (Array.isArray(policy.spec?.policyTypes) && policy.spec.policyTypes.length) return policy.spec.policyTypes;
  return policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

function peerMatches(peer: any, policyNamespace: string, other: PolicyPeer, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  if (peer.ipBlock) {
    if (!cidrContains(peer.ipBlock.cidr, other.ip)) return false;
    return !(peer.ipBlock.except ?? []).some((cidr: string) => cidrContains(cidr, other.ip));
  }
  if (peer.namespaceSelector) {
    if (!matchesStructuredSelector(peer.namespaceSelector, namespaceLabels(other.namespace) ?? {})) return false;
    return peer.podSelector ? matchesStructuredSelector(peer.podSelector, other.labels) : true;
  }
  if (peer.podSelector) return other.namespace === policyNamespace && matchesStructuredSelector(peer.podSelector, other.labels);
  return false;
}

function portMatches(rulePorts: any[] | undefined, port: number, protocol: string, target: PolicyPeer): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((rule) => {
    if ((rule.protocol ?? 'TCP') !== protocol) return false;
    if (rule.port === undefined || rule.port === null) return true;
    if (typeof rule.port === 'string' && !/^\d+$/.test(rule.port)) {
      return target.ports.some((candidate) => candidate.name === rule.port && candidate.containerPort === port && (candidate.protocol ?? 'TCP') === protocol);
    }
    const start = Number(rule.port);
    return rule.endPort ? port >= start && port <= rule.endPort : port === start;
  });
}

/**
 * NetworkPolicy semantics for one connection: a pod selected by no policy of a direction allows all of that
 * direction; a selected pod allows only what some rule of some selecting policy allows (policies add up).
 * `source` undefined is traffic from outside any pod (the node), which policies here do not restrict.
 */
export function connectionAllowed(input: {
  policies: (namespace: string) => KubeObject[];
  namespaceLabels: (name: string) => Record<string, string> | undefined;
  source: PolicyPeer | undefined;
  destination: PolicyPeer;
  port: number;
  protocol: string;
  /** the destination is not a pod (kube-dns outside the model, an external address): ingress is not checked */
  destinationIsPod?: boolean;
}): boolean {
  const { source, destination, port, protocol } = input;
  if (!source) return true;
  const egress = input.policies(source.namespace).filter((policy) => policyTypes(policy).includes('Egress') && matchesStructuredSelector(policy.spec?.podSelector ?? {}, source.labels));
  if (egress.length > 0) {
    const allowed = egress.some((policy) =>
      (policy.spec?.egress ?? []).some((rule: any) => {
        const peers: any[] = rule.to ?? [];
        const reaches = peers.length === 0 || peers.some((peer) => peerMatches(peer, policy.metadata.namespace ?? 'default', destination, input.namespaceLabels));
        return reaches && portMatches(rule.ports, port, protocol, destination);
      }),
    );
    if (!allowed) return false;
  }
  if (input.destinationIsPod === false) return true;
  const ingress = input.policies(destination.namespace).filter((policy) => policyTypes(policy).includes('Ingress') && matchesStructuredSelector(policy.spec?.podSelector ?? {}, destination.labels));
  if (ingress.length === 0) return true;
  return ingress.some((policy) =>
    (policy.spec?.ingress ?? []).some((rule: any) => {
      const peers: any[] = rule.from ?? [];
      const admits = peers.length === 0 || peers.some((peer) => peerMatches(peer, policy.metadata.namespace ?? 'default', source, input.namespaceLabels));
      return admits && portMatches(rule.ports, port, protocol, destination);
    }),
  );
}
