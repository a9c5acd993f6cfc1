/**
 * The executor's generated material, made once and kept (never owned by the SkyfloAI, like `<name>-secrets`):
 * - `<name>-approval-keys`: the engine's Ed25519 signing key (PKCS#8, mounted into the engine only), its public key
 *   (SPKI, mounted into the executor only) and the bearer token the engine presents to the executor;
 * - `<name>-executor-tls`: a self-signed CA and the executor's serving certificate for `<name>-executor.<ns>.svc`,
 *   signed by it. The API server trusts the webhook by the CA (the ValidatingWebhookConfiguration's caBundle) and the
 *   engine trusts the executor's API by the same CA (NODE_EXTRA_CA_CERTS).
 * Key pairs come from node:crypto; node-forge only writes the X.509 certificates (node:crypto cannot issue them).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { approvalKeyFiles, dryRunTokenFile, tlsFiles } from '../desired/executor.ts';
import { executorNames, instanceLabels, type SkyfloAiObject } from '../desired/names.ts';
import type { KubeObject, KubeRest } from '../kube/kube-rest.ts';


interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export function freshApprovalKeys(): Record<string, string> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    [approvalKeyFiles.signingKey]: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    [approvalKeyFiles.publicKey]: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    [approvalKeyFiles.executorToken]: randomBytes(32).toString('base64url'),
  };
}

function certificate(options: { subject: string; publicKeyPem: string; issuer: string; signingKeyPem: string; ca: boolean; dnsNames?: string[]; years: number }): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(options.publicKeyPem);
  // a positive serial number (the leading byte below 0x80) of 16 random bytes
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + options.years * 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: options.subject }]);
  cert.setIssuer([{ name: 'commonName', value: options.issuer }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: options.ca, critical: true },
    options.ca ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true } : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...(options.ca ? [] : [{ name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: (options.dnsNames ?? []).map((value) => ({ type: 2, value })) }]),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(options.signingKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const rsaPair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });

/** A CA and a serving certificate for the executor's Service names (what the API server and the engine dial). */
export function freshExecutorTls(serviceName: string, namespace: string): Record<string, string> {
  const ca = rsaPair();
  const serving = rsaPair();
  const caSubject = `skyflo-executor-ca.${namespace}`;
  const caPem = certificate({ subject: caSubject, publicKeyPem: ca.publicKey, issuer: caSubject, signingKeyPem: ca.privateKey, ca: true, years: 10 });
  const dnsNames = [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
  const certPem = certificate({ subject: `${serviceName}.${namespace}.svc`, publicKeyPem: serving.publicKey, issuer: caSubject, signingKeyPem: ca.privateKey, ca: false, dnsNames, years: 10 });
  return { [tlsFiles.ca]: caPem, [tlsFiles.cert]: certPem, [tlsFiles.key]: serving.privateKey };
}

/** Creates the Secret when missing (values from `generate`, called only then) and returns what it holds, decoded. */
async function ensureSecret(kube: KubeRest, owner: SkyfloAiObject, name: string, generate: () => Record<string, string>): Promise<{ values: Record<string, string>; created: boolean }> {
  const namespace = owner.metadata.namespace ?? 'default';
  const existing = await kube.get<SecretObject>({ apiVersion: 'v1', kind: 'Secret', name, namespace });
  if (existing) return { values: Object.fromEntries(Object.entries(existing.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')])), created: false };
  const values = generate();
  await kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: instanceLabels(owner, 'secrets') }, type: 'Opaque', stringData: values } as KubeObject);
  return { values, created: true };
}

/** The executor's Secrets (approval keys, TLS, the MCP server's dry-run token), created when missing; returns the CA (for the webhook's caBundle) and what was written. */
export async function ensureExecutorSecrets(kube: KubeRest, owner: SkyfloAiObject): Promise<{ caPem?: string; actions: string[] }> {
  const names = executorNames(owner);
  const keys = await ensureSecret(kube, owner, names.approvalKeys, freshApprovalKeys);
  const tls = await ensureSecret(kube, owner, names.tls, () => freshExecutorTls(names.executor, owner.metadata.namespace ?? 'default'));
  // Issue 73: the MCP server's own token, in a Secret of its own, so its pods never mount anything of the engine's.
  const dryRun = await ensureSecret(kube, owner, names.dryRunToken, () => ({ [dryRunTokenFile]: randomBytes(32).toString('base64url') }));
  return {
    caPem: tls.values[tlsFiles.ca],
    actions: [names.approvalKeys, names.tls, names.dryRunToken].filter((_name, index) => [keys, tls, dryRun][index]!.created).map((name) => `created Secret/${name}`),
  };
}
