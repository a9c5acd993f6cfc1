/**
 * A fresh `npm install` is free of warnings (issue 37 item 2), judged from what npm itself reads: the lockfile.
 * npm prints EBADENGINE for every locked package whose `engines.node` excludes the running Node, and lists every
 * locked package with an install script that the root `allowScripts` does not name. So: every package in
 * package-lock.json supports the lowest Node of each range the root `engines` claims (^20.19.0 → 20.19.0,
 * >=22.12.0 → 22.12.0), and `allowScripts` decides about every `hasInstallScript` entry. A dependency bump that
 * brings a Node-22-only package or a new install script fails here, before a user sees the warning.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
  link?: boolean;
  optional?: boolean;
  cpu?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const manifest = readJson('package.json') as { engines: { node: string }; allowScripts?: Record<string, boolean> };
const lock = readJson('package-lock.json') as { packages: Record<string, LockEntry> };

/** "node_modules/a/node_modules/@s/b" → "@s/b" */
const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * Entries npm never installs on a real machine: a binding for cpu wasm32 (no Node process reports that arch; npm
 * picks it only when told to) and optional packages that only such bindings depend on. npm checks no engines there.
 */
function neverInstalled(packages: Record<string, LockEntry>): Set<string> {
  const skipped = new Set(Object.keys(packages).filter((key) => packages[key]!.cpu?.length === 1 && packages[key]!.cpu[0] === 'wasm32'));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [key, entry] of Object.entries(packages)) {
      if (skipped.has(key) || !entry.optional) continue;
      const dependents = Object.entries(packages).filter(([, other]) => other.dependencies?.[nameOf(key)] ?? other.optionalDependencies?.[nameOf(key)]);
      if (dependents.length > 0 && dependents.every(([other]) => skipped.has(other))) {
        skipped.add(key);
        grew = true;
      }
    }
  }
  return skipped;
}

/** the lowest version of each alternative of the claimed range: the oldest Node a user may run */
const claimedNodes = new semver.Range(manifest.engines.node).set.map((comparators) => semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' ')))!.version);

/** allowScripts keys are a bare name or name@exact||exact (npm refuses ranges); true allows, false denies */
function decidedBy(allowScripts: Record<string, boolean>, name: string, version: string): boolean | undefined {
  for (const [key, allowed] of Object.entries(allowScripts)) {
    const at = key.lastIndexOf('@');
    const keyName = at > 0 ? key.slice(0, at) : key;
    if (keyName !== name) continue;
    const versions = at > 0 ? key.slice(at + 1).split('||').map((part) => part.trim()) : ['*'];
    if (versions.includes('*') || versions.includes(version)) return allowed;
  }
  return undefined;
}

describe('a fresh npm install is free of warnings', () => {
  it('claims Node ^20.19 and >= 22.12, the versions the README names', () => {
    expect(claimedNodes).toEqual(['20.19.0', '22.12.0']);
  });

  it('locks no package whose engines exclude a Node version we support (npm warns EBADENGINE)', () => {
    const unsupported: string[] = [];
    const skipped = neverInstalled(lock.packages);
    for (const [key, entry] of Object.entries(lock.packages)) {
      const node = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      if (!key || entry.link || !node || skipped.has(key)) continue;
      for (const version of claimedNodes) {
        if (!semver.satisfies(version, node)) unsupported.push(`${nameOf(key)}@${entry.version} wants node ${node}, not ${version}`);
      }
    }
    expect(unsupported).toEqual([]);
  });

  it('names every locked package that has an install script in allowScripts (npm warns "not yet covered")', () => {
    const withScripts = Object.entries(lock.packages).filter(([key, entry]) => key && !entry.link && entry.hasInstallScript);
    // the lockfile does carry them (esbuild's postinstall, argon2's prebuilt binding), so this is not vacuous
    expect(withScripts.length).toBeGreaterThan(0);
    const undecided = withScripts.map(([key, entry]) => `${nameOf(key)}@${entry.version}`).filter((spec) => {
      const at = spec.lastIndexOf('@');
      return decidedBy(manifest.allowScripts ?? {}, spec.slice(0, at), spec.slice(at + 1)) === undefined;
    });
    expect(undecided).toEqual([]);
  });
});
