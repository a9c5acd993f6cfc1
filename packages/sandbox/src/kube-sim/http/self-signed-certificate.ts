import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost. Node's crypto cannot issue X.509
 * certificates, so this asks the openssl binary (argv only, no shell). Clients must skip verification.
 */
export async function createSelfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'kube-sim-tls-'));
  const keyPath = path.join(directory, 'key.pem');
  const certPath = path.join(directory, 'cert.pem');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=kube-sim',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } catch (error) {
    throw new Error(`kube-sim could not create a TLS certificate with openssl (${error instanceof Error ? error.message : String(error)}); start without tls`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
