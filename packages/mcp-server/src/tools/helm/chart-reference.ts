import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ToolInputError } from '../../contract/errors.ts';
import { ConfinedFileError, openConfinedFolder } from '@skyflo/connectors/confined-folder';

const repoChartPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ociPattern = /^oci:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._-]+)+(:[A-Za-z0-9._-]+)?$/;

/**
 * Accepts only the chart references a model has a legitimate reason to use. Why: helm also takes
 * arbitrary URLs and any local path, which would let a prompt-injected model install a chart from an
 * attacker's server or read files on the MCP host (e.g. `helm show values /etc`).
 */
export function assertChartReference(chart: string, allowedDirs: string[] | undefined): string {
  if (chart.startsWith('-')) {
    throw new ToolInputError(`chart "${chart}" looks like a command-line flag; give a chart reference such as "bitnami/nginx".`);
  }
  // helm tries a reference as a local path (relative to its working directory) before any repository, so
  // "repo/chart" naming an existing directory or archive is a local chart and must pass the allow-list below.
  if (repoChartPattern.test(chart) && !existsSync(path.resolve(chart))) return chart;
  if (chart.startsWith('oci://')) {
    if (!ociPattern.test(chart)) {
      throw new ToolInputError(`chart "${chart}" is not a valid OCI reference. Use oci://registry.example.com/path/chart.`);
    }
    return chart;
  }
  if (chart.includes('://')) {
    throw new ToolInputError(`chart "${chart}" uses an unsupported scheme. Add the repository with helm_repo_add and use "repo/chart", or use an oci:// reference.`);
  }
  const dirs = allowedDirs ?? [];
  if (dirs.length === 0) {
    throw new ToolInputError(
      `chart "${chart}" is neither "repo/chart" nor an oci:// reference, and local chart paths are disabled on this server. Add the repository with helm_repo_add and use "repo/chart".`,
    );
  }
  const resolved = resolveExisting(chart);
  const inside = dirs.some((dir) => {
    const root = resolveExisting(dir);
    return root !== undefined && resolved !== undefined && (resolved === root || resolved.startsWith(root + path.sep));
  });
  if (!inside || resolved === undefined) {
    throw new ToolInputError(`chart path "${chart}" is not inside an allowed chart directory (${dirs.join(', ')}), or does not exist.`);
  }
  return resolved;
}

/** realpath so a symlink inside an allowed directory cannot point outside it. */
function resolveExisting(candidate: string): string | undefined {
  try {
    return realpathSync(path.resolve(candidate));
  } catch {
    return undefined;
  }
}

/** The largest file a local chart may hold (helm's own limit for one file of a chart archive is 5 MiB). */
export const maxLocalChartFileBytes = 20 * 1024 * 1024;

/**
 * Refuses a local chart (a path assertChartReference returned) that reaches outside its chart directory. Why: helm
 * reads a chart directory whole and follows every link in it, so `values.yaml → /proc/self/environ` or
 * `files/key → <data dir>/jwt-secret` in an allowed directory would be rendered into the answer; a FIFO in it would
 * hang helm. Every file and folder of the chart must be a regular one inside the chart directory (issue 74).
 */
export async function assertLocalChartConfined(resolved: string, allowedDirs: string[] | undefined): Promise<void> {
  for (const dir of allowedDirs ?? []) {
    const root = resolveExisting(dir);
    if (root === undefined || (resolved !== root && !resolved.startsWith(root + path.sep))) continue;
    try {
      await openConfinedFolder(root, { maxFileBytes: maxLocalChartFileBytes, label: `the chart directory ${dir}` }).assertTree(path.relative(root, resolved) || '.');
      return;
    } catch (error) {
      if (!(error instanceof ConfinedFileError)) throw error;
      throw new ToolInputError(`The local chart is not used: ${error.message}`, { code: 'FORBIDDEN', hint: 'an operator fixes the chart directory on the MCP server (no links out of it, no special files)' });
    }
  }
  throw new ToolInputError(`chart path "${resolved}" is not inside an allowed chart directory (${(allowedDirs ?? []).join(', ')}).`);
}
