import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { ApiError, type KubeObject, type SimCluster, type SimUser, type SubresourceHandler } from '../cluster-types.ts';
import { invalid } from '../errors/api-errors.ts';
import { formatTimestamp, isPlainObject } from '../util/json-values.ts';

/** The issuer and default audience of a kind/kubeadm cluster's service account tokens. */
export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

// The real API server's bounds (pkg/apis/authentication/validation): at least 10 minutes, at most 2^32 seconds.
const minExpirationSeconds = 600;
const maxExpirationSeconds = 2 ** 32;
const defaultExpirationSeconds = 3600;

export interface ServiceAccountTokens {
  /** POST serviceaccounts/<name>/token: an authentication.k8s.io/v1 TokenRequest answered with a signed JWT. */
  tokenRequestHandler: SubresourceHandler;
  /**
   * The user a bearer token names, like the API server's service account token authenticator: undefined when the
   * token is not one of ours (so other authenticators may try it); throws 401 when it is ours but expired, for
   * another audience, or bound to an account that is gone or was recreated (another uid).
   */
  authenticate(token: string): Promise<SimUser | undefined>;
}

function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

/**
 * Bound service account tokens, as the TokenRequest API issues them: a JWT signed with a key that lives as long as
 * the sim (HS256 is enough: only this process verifies it), whose `kubernetes.io` claim names the account's
 * namespace, name and uid, and whose expiry and validity are judged on the cluster clock so tests can move time.
 */
export function createServiceAccountTokens(cluster: SimCluster): ServiceAccountTokens {
  const key = randomBytes(32);
  const serviceAccounts = () => cluster.registry.byResource('', 'serviceaccounts')!;

  const tokenRequestHandler: SubresourceHandler = async ({ request, response, namespace, name, body, url }) => {
    if (request.method !== 'POST') return false;
    const account = cluster.store.get(serviceAccounts(), namespace, name!);
    if (!account) throw new ApiError(404, 'NotFound', `serviceaccounts "${name}" not found`, { name, kind: 'serviceaccounts' });
    const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
    const expirationSeconds = spec.expirationSeconds ?? defaultExpirationSeconds;
    const tokenRequestKind = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
    if (typeof expirationSeconds !== 'number' || !Number.isInteger(expirationSeconds) || expirationSeconds < minExpirationSeconds) {
      throw invalid(tokenRequestKind, name!, [{ field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(expirationSeconds)}: may not specify a duration less than 10 minutes` }]);
    }
    if (expirationSeconds > maxExpirationSeconds) {
      throw invalid(tokenRequestKind, name!, [{ field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds` }]);
    }
    const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [serviceAccountIssuer];
    const now = cluster.clock.now();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = issuedAt + expirationSeconds;
    const token = await new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name, uid: account.metadata.uid } } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(serviceAccountIssuer)
      .setSubject(`system:serviceaccount:${namespace}:${name}`)
      .setAudience(audiences)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomBytes(16).toString('hex'))
      .sign(key);
    const answer = {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: formatTimestamp(now) },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp: formatTimestamp(new Date(expiresAt * 1000)) },
    };
    // A dry run answers the same shape without a usable token, as the real server does (it signs nothing).
    if (url.searchParams.getAll('dryRun').includes('All')) answer.status.token = '';
    response.writeHead(201, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(answer));
  };

  async function authenticate(token: string): Promise<SimUser | undefined> {
    if (token.split('.').length !== 3) return undefined;
    let claims: Record<string, any>;
    try {
      ({ payload: claims } = await jwtVerify(token, key, { issuer: serviceAccountIssuer, audience: serviceAccountIssuer, currentDate: cluster.clock.now(), algorithms: ['HS256'] }));
    } catch {
      throw unauthorized(); // expired, not yet valid, another audience, or signed by another key
    }
    const bound = claims['kubernetes.io'] ?? {};
    const account: KubeObject | undefined = cluster.store.get(serviceAccounts(), bound.namespace, bound.serviceaccount?.name);
    // Deleted, or deleted and recreated under the same name: the old token names the old uid.
    if (!account || account.metadata.uid !== bound.serviceaccount?.uid || account.metadata.deletionTimestamp) throw unauthorized();
    return {
      name: `system:serviceaccount:${bound.namespace}:${bound.serviceaccount.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${bound.namespace}`, 'system:authenticated'],
    };
  }

  return { tokenRequestHandler, authenticate };
}
