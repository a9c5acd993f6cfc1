/**
 * Pinned chart archives. Why: a chart reference ("acme/app", even with an exact version) names whatever the
 * repository serves at the moment helm downloads it, so the archive previewed before approval and the one
 * installed after it could differ (a tarball replaced under the same name and version). preview_tool_call pins
 * the archive: it downloads it once, stores it under its sha-256 in a content-addressed cache, and the approved
 * call carries `chart_digest`. Installing (and previewing) with a digest re-hashes the cached file and hands helm
 * a private copy of exactly the verified bytes; a missing or different file is refused.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ToolInputError } from '../../contract/errors.ts';
import { ConfinedFileError, openConfinedFolder } from '@skyflo/connectors/confined-folder';
import { assertSafeArgument } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { assertChartReference } from './chart-reference.ts';
import { assertChartSourceAllowed } from './chart-source-policy.ts';
import { runHelm } from './run-helm.ts';

export const chartDigestPattern = /^sha256:[0-9a-f]{64}$/;

/** The largest pinned archive read back from the cache (it is held in memory to be hashed). */
const maxPinnedChartBytes = 100 * 1024 * 1024;

/** A per-user directory: a shared /tmp path could be pre-created or emptied by another local user. */
export function defaultChartCacheDir(): string {
  let home = '';
  try {
    home = os.homedir();
  } catch {
    // no home directory (some containers): fall back to the temp directory
  }
  return home ? path.join(home, '.cache', 'skyflo', 'helm-charts') : path.join(os.tmpdir(), `skyflo-helm-charts-${process.getuid?.() ?? 'user'}`);
}

function cacheDir(deps: ToolDeps): string {
  return deps.settings.helmChartCacheDir ?? defaultChartCacheDir();
}

/**
 * Archives not pinned or used for this long are removed when another chart is pinned, so the cache stays bounded.
 * An approval left pending longer than this then fails with ARTIFACT_MISSING and is previewed again.
 */
export const chartCacheMaxAgeMs = 14 * 24 * 60 * 60 * 1000;

async function pruneCache(root: string, now = Date.now()): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (entry) => {
      const file = path.join(root, entry);
      try {
        const info = await stat(file);
        // staging directories of pulls that died are cleaned after a day
        const maxAge = entry.startsWith('.pull-') ? 24 * 60 * 60 * 1000 : chartCacheMaxAgeMs;
        if ((entry.endsWith('.tgz') || entry.startsWith('.pull-')) && now - info.mtimeMs > maxAge) await rm(file, { recursive: true, force: true });
      } catch {
        // raced with another pin or prune: nothing to do
      }
    }),
  );
}

export interface PinnedChart {
  /** "sha256:<hex>" of the archive */
  digest: string;
  /** name and version from the archive's Chart.yaml */
  name: string;
  version: string;
}

export interface OpenedChart extends PinnedChart {
  /** a private copy of the verified archive, for helm to read */
  path: string;
  /** removes the private copy */
  close(): Promise<void>;
}

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

/** Chart.yaml of an archive, read by helm itself (no network: the argument is a local file). */
async function chartMetadata(deps: ToolDeps, archive: string, signal?: AbortSignal): Promise<{ name: string; version: string }> {
  const shown = await runHelm(deps, { args: ['show', 'chart', archive], signal });
  if (!shown.ok) throw new ToolInputError(`helm could not read the chart archive: ${shown.output.text.split('\n')[0]}`, { code: 'FAILED', hint: 'the repository may serve a broken archive' });
  const metadata = parse(shown.stdout) as { name?: unknown; version?: unknown } | null;
  if (typeof metadata?.name !== 'string' || metadata.version === undefined) throw new ToolInputError('The chart archive has no name or version in Chart.yaml.', { code: 'FAILED' });
  return { name: metadata.name, version: String(metadata.version) };
}

/** The chart name a reference names: "acme/app" → app, "oci://host/charts/app:1.2" → app; none for local paths. */
export function referencedChartName(chart: string): string | undefined {
  if (chart.startsWith('oci://')) return chart.split('/').at(-1)!.replace(/:[^:]*$/, '');
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart) && !chart.startsWith('/')) return chart.split('/')[1];
  return undefined;
}

/**
 * Downloads (or packages, for a local chart) the archive helm would install for `chart`/`version`, stores it
 * under its sha-256 and returns its digest and exact version. The source is checked against the allow-list first.
 */
export async function pinChart(deps: ToolDeps, input: { chart: string; version?: string }, signal?: AbortSignal): Promise<PinnedChart> {
  const source = assertChartReference(input.chart, deps.settings.helmChartDirs);
  await assertChartSourceAllowed(source, deps, signal);
  if (input.version) assertSafeArgument('version', input.version);
  const root = cacheDir(deps);
  await mkdir(root, { recursive: true, mode: 0o700 });
  await pruneCache(root);
  const staging = await mkdtemp(path.join(root, '.pull-'));
  try {
    if (source.startsWith('/')) {
      if ((await stat(source)).isDirectory()) {
        const packaged = await runHelm(deps, { args: ['package', source, '--destination', staging], signal });
        if (!packaged.ok) failWith(`helm could not package ${input.chart}: ${packaged.output.text.split('\n')[0]}`);
      } else {
        await copyFile(source, path.join(staging, path.basename(source)));
      }
    } else {
      const pulled = await runHelm(deps, { args: ['pull', source, ...(input.version ? ['--version', input.version] : []), '--destination', staging], signal });
      if (!pulled.ok) {
        throw new ToolInputError(`Could not download chart ${input.chart}${input.version ? ` ${input.version}` : ''} to pin it: ${pulled.output.text.split('\n').slice(0, 2).join(' ')}`, {
          code: 'NOT_FOUND',
          hint: 'check the chart name and version with helm_search_repo (helm_repo_update refreshes the index)',
        });
      }
    }
    const archives = (await readdir(staging)).filter((file) => file.endsWith('.tgz'));
    if (archives.length !== 1) failWith(`expected one chart archive for ${input.chart}, found ${archives.length}`);
    const staged = path.join(staging, archives[0]!);
    const hex = sha256(await readFile(staged));
    const metadata = await chartMetadata(deps, staged, signal);
    const expectedName = referencedChartName(input.chart);
    if (expectedName && metadata.name !== expectedName) {
      failWith(`the archive downloaded for ${input.chart} is chart "${metadata.name}", not "${expectedName}"`);
    }
    // Same content, same name: renaming over an existing entry is harmless, and rename is atomic.
    await rename(staged, path.join(root, `${hex}.tgz`));
    const now = new Date();
    await utimes(path.join(root, `${hex}.tgz`), now, now);
    return { digest: `sha256:${hex}`, ...metadata };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function failWith(message: string): never {
  throw new ToolInputError(`Could not pin the chart: ${message}.`, { code: 'FAILED', hint: 'preview the call again; if it keeps failing, check the chart repository' });
}

/**
 * Opens the pinned archive `digest` for `chart`: hashes the cached file again (refusing a missing or different
 * one), then copies exactly the verified bytes to a private file, so what helm reads is what was hashed.
 */
export async function openPinnedChart(deps: ToolDeps, input: { digest: string; chart: string; version?: string }, signal?: AbortSignal): Promise<OpenedChart> {
  if (!chartDigestPattern.test(input.digest)) {
    throw new ToolInputError(`chart_digest "${input.digest}" is not a sha-256 digest ("sha256:" and 64 hex digits).`, { hint: 'use the artifact_digest preview_tool_call returned' });
  }
  const hex = input.digest.slice('sha256:'.length);
  const again = 'the change must be previewed and approved again (the preview pins a fresh archive)';
  let bytes: Buffer;
  const cached = path.join(cacheDir(deps), `${hex}.tgz`);
  try {
    // read as any configured folder is (confined-folder.ts): a regular file inside the cache, of bounded size
    bytes = await openConfinedFolder(cacheDir(deps), { maxFileBytes: maxPinnedChartBytes, label: 'the chart cache' }).read(`${hex}.tgz`);
  } catch (error) {
    if (error instanceof ConfinedFileError && error.reason !== 'missing') {
      throw new ToolInputError(`The approved chart artifact ${input.digest} for ${input.chart} cannot be used: ${error.message}`, { code: 'ARTIFACT_CHANGED', hint: again });
    }
    if (!(error instanceof ConfinedFileError) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ToolInputError(`The approved chart artifact ${input.digest} for ${input.chart} is gone from the chart cache, so it cannot be installed exactly as approved.`, {
      code: 'ARTIFACT_MISSING',
      hint: again,
    });
  }
  if (sha256(bytes) !== hex) {
    throw new ToolInputError(`The approved chart artifact ${input.digest} for ${input.chart} is different from the archive that was previewed (its content no longer matches the digest), so it is not installed.`, {
      code: 'ARTIFACT_CHANGED',
      hint: again,
    });
  }
  // in use: keep it from being pruned while its approval is pending
  const now = new Date();
  await utimes(cached, now, now).catch(() => undefined);
  const directory = await mkdtemp(path.join(os.tmpdir(), 'skyflo-chart-'));
  const close = () => rm(directory, { recursive: true, force: true });
  try {
    const file = path.join(directory, `${hex}.tgz`);
    await writeFile(file, bytes, { mode: 0o600 });
    const metadata = await chartMetadata(deps, file, signal);
    const expectedName = referencedChartName(input.chart);
    // The digest pins bytes; the name check keeps "chart: acme/app" from installing some other cached chart.
    if (expectedName && metadata.name !== expectedName) {
      throw new ToolInputError(`chart_digest ${input.digest} is chart "${metadata.name}", not "${expectedName}" as chart ${input.chart} says.`, { hint: 'preview the call again to pin the right chart' });
    }
    if (input.version && /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/.test(input.version) && input.version.replace(/^v/, '') !== metadata.version.replace(/^v/, '')) {
      throw new ToolInputError(`chart_digest ${input.digest} is version ${metadata.version} of ${metadata.name}, not ${input.version}.`, { hint: 'preview the call again to pin the right version' });
    }
    return { digest: input.digest, ...metadata, path: file, close };
  } catch (error) {
    await close();
    throw error;
  }
}
