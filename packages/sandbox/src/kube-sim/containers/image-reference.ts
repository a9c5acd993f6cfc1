/** An image reference split the way containerd reads it: `nginx` → docker.io/library/nginx:latest. */
export interface ImageReference {
  /** as written in the pod spec */
  image: string;
  /** docker.io, registry.k8s.io, registry.acme.io, … */
  registry: string;
  /** library/nginx, curlimages/curl, team/app */
  repository: string;
  /** `latest` when none was given */
  tag: string;
  digest?: string;
  /** registry/repository */
  name: string;
  /** registry/repository:tag (or @digest) */
  full: string;
}

export function parseImageReference(image: string): ImageReference {
  const [withoutDigest, digest] = image.split('@');
  const slash = withoutDigest.indexOf('/');
  const first = slash >= 0 ? withoutDigest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let rest = hasRegistry ? withoutDigest.slice(slash + 1) : withoutDigest;
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const repository = registry === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  const name = `${registry}/${repository}`;
  return { image, registry, repository, tag, digest, name, full: digest ? `${name}@${digest}` : `${name}:${tag}` };
}
