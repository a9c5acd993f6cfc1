/**
 * Which of a chart's templates read the live cluster: `lookup` (any object, Secrets included) or `.Capabilities`
 * (the cluster's version and API groups). What such a chart renders depends on the cluster at the moment helm
 * runs, so the approval card says so (LIVE_CLUSTER_TEMPLATE) and the preview renders against the cluster.
 *
 * Sources: the templates helm reports in the dry-run release (the chart itself), plus, when the chart argument is a
 * local directory or archive (a pinned chart is one), every template of its subcharts, which the release omits.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface TemplateSource {
  /** path inside the chart, e.g. "templates/rbac.yaml" or "charts/db/templates/secret.yaml" */
  name: string;
  text: string;
}

const LIVE_FUNCTIONS: Array<[RegExp, string]> = [
  [/\blookup\b/, 'lookup'],
  [/\.Capabilities\b/, '.Capabilities'],
];

/**
 * Functions whose result differs on every render (sprig's random strings, UUIDs, clocks, generated keys and
 * certificates). Such a manifest never renders the same twice, so the digest bound to an approval cannot match.
 */
const GENERATING_FUNCTIONS: Array<[RegExp, string]> = [
  [/\brand(?:AlphaNum|Alpha|Numeric|Ascii|Bytes|Int)\b/, 'random values'],
  [/\buuidv4\b/, 'uuidv4'],
  // only inside a template action: "now" is a common English word in plain YAML text
  [/\{\{[^}]*\bnow\b/, 'now'],
  [/\bgen(?:CA|CAWithKey|PrivateKey|SelfSignedCert|SelfSignedCertWithKey|SignedCert|SignedCertWithKey)\b/, 'generated keys/certificates'],
];

export interface LiveClusterUse {
  /** template path → the live-cluster functions it uses */
  templates: Array<{ name: string; uses: string[] }>;
}

function findUses(sources: TemplateSource[], functions: Array<[RegExp, string]>): LiveClusterUse {
  const seen = new Set<string>();
  const templates: LiveClusterUse['templates'] = [];
  for (const source of sources) {
    if (seen.has(source.name)) continue;
    seen.add(source.name);
    const uses = functions.filter(([pattern]) => pattern.test(source.text)).map(([, label]) => label);
    if (uses.length > 0) templates.push({ name: source.name, uses });
  }
  return { templates };
}

export function findLiveClusterUse(sources: TemplateSource[]): LiveClusterUse {
  return findUses(sources, LIVE_FUNCTIONS);
}

/** Templates that generate a new value on every render (see GENERATING_FUNCTIONS). */
export function findGeneratedValues(sources: TemplateSource[]): LiveClusterUse {
  return findUses(sources, GENERATING_FUNCTIONS);
}

/** The templates listed in helm's `--output json` release (`chart.templates[].data` is base64). */
export function templatesOfRelease(release: { chart?: { templates?: Array<{ name?: string; data?: string }> } }): TemplateSource[] {
  return (release.chart?.templates ?? []).map((template) => ({ name: template.name ?? '', text: Buffer.from(template.data ?? '', 'base64').toString('utf8') }));
}

const isTemplateFile = (name: string) => /(^|\/)templates\/.+\.(ya?ml|tpl|txt|json)$/.test(name);
/** a chart's (or subchart's) crds/ file: helm installs these on install, outside the release manifest */
const isCrdFile = (name: string) => /(^|\/)crds\/[^/]+\.(ya?ml|json)$/.test(name) && !/(^|\/)templates\//.test(name);

/**
 * The templates of a local chart (directory or .tgz), subcharts included. A reference helm resolves itself (repo/chart
 * without a pinned archive) gives none: its top-level templates still come from the release.
 */
export async function templatesOfLocalChart(argument: string): Promise<TemplateSource[]> {
  return filesOfLocalChart(argument, isTemplateFile);
}

/**
 * The crds/ files of a local chart and its subcharts (issue 31): helm creates these CustomResourceDefinitions when it
 * installs a release, yet they are in neither the release manifest nor its hooks.
 */
export async function crdFilesOfLocalChart(argument: string): Promise<TemplateSource[]> {
  return filesOfLocalChart(argument, isCrdFile);
}

async function filesOfLocalChart(argument: string, wanted: (name: string) => boolean): Promise<TemplateSource[]> {
  let info;
  try {
    info = await stat(argument);
  } catch {
    return [];
  }
  if (info.isDirectory()) return filesOfDirectory(argument, '', wanted);
  if (info.isFile() && /\.tgz$|\.tar\.gz$/.test(argument)) return archiveFiles(await readFile(argument), wanted).map(withoutTopDirectory);
  return [];
}

async function filesOfDirectory(root: string, prefix: string, wanted: (name: string) => boolean): Promise<TemplateSource[]> {
  const found: TemplateSource[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) found.push(...(await filesOfDirectory(full, `${name}/`, wanted)));
    else if (entry.isFile() && /(^|\/)charts\/[^/]+\.tgz$/.test(name)) {
      // "charts/db-1.0.0.tgz" holds "db/templates/…": listed as "charts/db/templates/…"
      found.push(...archiveFiles(await readFile(full), wanted).map((source) => ({ ...source, name: `${prefix}${source.name}` })));
    } else if (entry.isFile() && wanted(name)) found.push({ name, text: await readFile(full, 'utf8') });
  }
  return found;
}

const withoutTopDirectory = (source: TemplateSource): TemplateSource => ({ ...source, name: source.name.split('/').slice(1).join('/') });

/** The templates of a chart archive, named inside the chart ("templates/x.yaml", "charts/db/templates/y.yaml"). */
export function templatesOfArchive(archive: Buffer): TemplateSource[] {
  return archiveFiles(archive, isTemplateFile).map(withoutTopDirectory);
}

/** The crds/ files of a chart archive (and its subcharts'), named inside the chart. */
export function crdFilesOfArchive(archive: Buffer): TemplateSource[] {
  return archiveFiles(archive, isCrdFile).map(withoutTopDirectory);
}

/**
 * The files of a gzipped tar (helm package's format: ustar with PAX headers) that `wanted` names, read in memory,
 * nested subchart archives too.
 * Names keep the chart's own top directory ("app/templates/x.yaml").
 */
function archiveFiles(archive: Buffer, wanted: (name: string) => boolean): TemplateSource[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch {
    return [];
  }
  const found: TemplateSource[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const pathRecord = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      longName = pathRecord?.[1];
      continue;
    }
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const fullName = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type !== '0' && type !== '' && type !== '\0') continue;
    const name = fullName.replace(/^\.\//, '');
    if (/(^|\/)charts\/[^/]+\.tgz$/.test(name)) {
      found.push(...archiveFiles(body, wanted).map((source) => ({ ...source, name: `${name.replace(/[^/]+\.tgz$/, '')}${source.name}` })));
    } else if (wanted(name)) found.push({ name, text: body.toString('utf8') });
  }
  return found;
}
