/**
 * The program the benches measure: the compiled `skyflo` of the release build (packages/cli/dist, made by
 * `npm run build`), what a user installs — never the TypeScript sources through tsx, never a test app (issue 79
 * item 4). A bench never builds it: rebuilding packages/cli/dist replaces files under any `skyflo serve` running from
 * it. So it checks instead that the build is of this checkout — every source file that went into it unchanged
 * (dist/build-info.json, written by scripts/build-release.mjs) — and stops, saying what to run, when it is missing
 * or older; `--allow-stale-build` measures an older build anyway and says so in every header.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { failBench } from './bench-header.ts';

export const shippedEntry = path.join(repoRoot, 'packages', 'cli', 'dist', 'skyflo.js');
const buildInfoFile = path.join(repoRoot, 'packages', 'cli', 'dist', 'build-info.json');

export interface ShippedBuild {
  /** `node <entry> serve …` runs it */
  entry: string;
  /** one line for the bench's header: the build's commit and time, and whether it is this checkout's */
  describe: string;
}

/** The source files of the build that differ from the checkout (changed or removed). */
export function changedSources(sources: Record<string, string>, read: (file: string) => Buffer | undefined): string[] {
  return Object.entries(sources)
    .filter(([file, digest]) => {
      const content = read(file);
      return !content || createHash('sha256').update(content).digest('hex') !== digest;
    })
    .map(([file]) => file);
}

/** The shipped build, checked against the checkout; stops the bench when it cannot measure this checkout's program. */
export function shippedBuild(options: { allowStale?: boolean } = {}): ShippedBuild {
  const allowStale = options.allowStale ?? process.argv.includes('--allow-stale-build');
  const build = 'run `npm run build` first (benches never build: a build replaces the files of any `skyflo serve` running from packages/cli/dist)';
  if (!existsSync(shippedEntry)) failBench(`no release build at ${path.relative(repoRoot, shippedEntry)}: ${build}`);
  if (!existsSync(buildInfoFile)) failBench(`the release build has no build-info.json (built before issue 79): ${build}`);
  const info = JSON.parse(readFileSync(buildInfoFile, 'utf8')) as { builtAt: string; commit: string | null; sources: Record<string, string> };
  const changed = changedSources(info.sources, (file) => {
    const absolute = path.join(repoRoot, file);
    return existsSync(absolute) ? readFileSync(absolute) : undefined;
  });
  const what = `compiled \`skyflo\` (packages/cli/dist, built ${info.builtAt} from ${info.commit?.slice(0, 10) ?? 'an unknown commit'}, ${Object.keys(info.sources).length} source files)`;
  if (changed.length > 0) {
    const list = `${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''}`;
    if (!allowStale) failBench(`the release build is older than this checkout (${changed.length} source files changed since: ${list}): ${build}; or pass --allow-stale-build to measure it anyway`);
    return { entry: shippedEntry, describe: `${what}; STALE: ${changed.length} source files changed since (${list}), measured anyway (--allow-stale-build)` };
  }
  return { entry: shippedEntry, describe: `${what}; matches this checkout` };
}
