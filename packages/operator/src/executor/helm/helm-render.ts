/**
 * POST /v1/helm/render (issue 73 item 6): a Helm upgrade/install/rollback preview rendered by the executor with its
 * OWN identity. On a cluster that enforces approvals the MCP server's identity is read-only and may not read Secrets,
 * yet every Helm preview reads the release's storage Secrets (`sh.helm.release.v1.<release>.v<N>`: `helm get
 * manifest`, `get hooks`, `history`, and `upgrade --install --dry-run`), so it runs here instead. It renders with
 * `--dry-run=client`: a template's `lookup` never runs with the executor's identity (see the call below).
 *
 * Who may call it: the MCP server, with its own dry-run token (SKYFLO_DRY_RUN_TOKEN) — the same caller as POST
 * /v1/dry-run; the engine's token and no token are refused (http-server.ts). What it answers never holds a Secret
 * value: every Secret document's `data`/`stringData` values are replaced by `<redacted>` (keys kept) in both the live
 * and the proposed manifest, because the MCP server is the more exposed process. It does answer `manifest_digest`,
 * the digest of the UNREDACTED proposed manifest (as the MCP preview computed it when it rendered itself), and keeps
 * that render (helm-render-store.ts): the credential of the approved call is computed from it (grant/helm-grants.ts).
 *
 * How helm runs: the real binary (`helmPath`), argv only (execFile, no shell), a timeout, values on stdin, the chart
 * as the caller's .tgz written to a private temp directory (helm unpacks it; nothing is unpacked here), a 0600
 * kubeconfig of the executor's own identity and HELM_* homes in that directory, all removed afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { helmStorageWrites, type HelmRevision, type HelmStorageWrites } from '@skyflo/protocol';
import { manifestDigestOf } from '@skyflo/protocol/approval-hashes';
import { z } from 'zod';
import { ExecutorError } from '../executor-options.ts';
import type { HelmRenderStore } from './helm-render-store.ts';
import { manifestObjects } from '../grant/helm-grants.ts';
import { kubeconfigOfIdentity } from './identity-kubeconfig.ts';
import { secretValuesOf } from '@skyflo/safety';
import { redactSecretValues, redactValues } from './redact-secrets.ts';

/** helm's release name rule (DNS-1123 subdomain, at most 53 characters) and a namespace's (DNS-1123 label). */
const releaseName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const namespaceName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A chart archive of at most 4 MiB, base64 (4/3 of it). */
const maxArchiveBase64 = Math.ceil((4 * 1024 * 1024) / 3) * 4;

export const helmRenderRequestSchema = z
  .object({
    release: z.string().max(53).regex(releaseName, 'not a Helm release name (lower-case letters, digits, "-" and ".", at most 53)'),
    namespace: z.string().max(63).regex(namespaceName, 'not a namespace name (an RFC 1123 label)'),
    chart: z.object({ archive: z.string().min(1).max(maxArchiveBase64).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64') }).strict().optional(),
    values: z.string().max(1024 * 1024).optional(),
    reuse_values: z.boolean().optional(),
    to_revision: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
export type HelmRenderRequest = z.infer<typeof helmRenderRequestSchema>;

export interface HelmRenderAnswer {
  release: string;
  namespace: string;
  exists: boolean;
  /** the live release's manifest and hooks, Secret values redacted ('' when not installed) */
  live_manifest: string;
  /** the release's revisions, oldest first (helm's description of each: what a failed one said) */
  history: Array<HelmRevision & { description?: string; chart?: string; app_version?: string }>;
  /** with a chart or to_revision: the manifest and hooks the call would install, Secret values redacted */
  manifest?: string;
  /** "sha256:<hex>" of the UNREDACTED proposed manifest (what the approval binds) */
  manifest_digest?: string;
  /** the proposed release's revision (the dry-run's version, or to_revision) */
  version?: number;
  /** the storage Secrets the call writes (helm-storage.ts) */
  storage?: HelmStorageWrites;
}

export interface HelmRenderer {
  render(request: HelmRenderRequest): Promise<HelmRenderAnswer>;
}

interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

const joinManifests = (manifest: string, hooks: string) => (hooks.trim() ? `${manifest.replace(/\n*$/, '\n')}${hooks}` : manifest);

/**
 * `listSecrets`: the Secrets of a namespace as the executor reads them, whose values a chart's `lookup` may have copied
 * into other objects (redacted wherever they appear; a failed read redacts none of them, the Secret documents still are).
 */
/** Every string of a release's stored values (`helm get values -o json`) long enough to redact (as Secret values are). */
export function storedValueStrings(json: string): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.trim().length >= 6) found.add(value.trim());
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  try {
    walk(JSON.parse(json));
  } catch {
    // helm printed no JSON (no values): nothing to redact
  }
  return [...found];
}

export function createHelmRenderer(options: { helmPath?: string | undefined; kubeConfig: KubeConfig; allowedNamespaces?: string[] | undefined; store: HelmRenderStore; listSecrets?: (namespace: string) => Promise<Array<{ type?: string; data?: Record<string, unknown> | null }>>; timeoutMs?: number }): HelmRenderer {
  const timeoutMs = options.timeoutMs ?? 120_000;

  return {
    async render(request) {
      if (!options.helmPath) {
        throw new ExecutorError('UNSUPPORTED', 'this executor has no helm: Helm previews cannot be rendered on this cluster. Start the executor with --helm-path (SKYFLO_EXECUTOR_HELM_PATH) pointing at a helm 3 binary, or run the executor image that ships helm');
      }
      if (options.allowedNamespaces && !options.allowedNamespaces.includes(request.namespace)) {
        throw new ExecutorError('FORBIDDEN', `this executor serves only namespace(s) ${options.allowedNamespaces.join(', ')}; release ${request.namespace}/${request.release} is outside them`);
      }
      if (request.chart && request.to_revision !== undefined) throw new ExecutorError('INVALID', 'send either chart (an upgrade or install) or to_revision (a rollback), not both');
      const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-helm-render-'));
      try {
        const kubeconfig = path.join(directory, 'kubeconfig');
        await writeFile(kubeconfig, kubeconfigOfIdentity(options.kubeConfig), { mode: 0o600 });
        const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: directory, HELM_CACHE_HOME: path.join(directory, 'cache'), HELM_CONFIG_HOME: path.join(directory, 'config'), HELM_DATA_HOME: path.join(directory, 'data'), KUBECONFIG: kubeconfig };
        const helm = (args: string[], stdin?: string) => runHelm(options.helmPath!, [...args, '--namespace', request.namespace, '--kubeconfig', kubeconfig], env, timeoutMs, stdin);
        // the namespace's live Secret values, read first: redacted from the answer, and from helm's own error messages
        const liveValues = secretValuesOf(await (options.listSecrets?.(request.namespace) ?? Promise.resolve([])).catch(() => []));
        const refuse = (what: string, result: HelmResult) => new ExecutorError('INVALID', `helm ${what} failed for release ${request.namespace}/${request.release}: ${redactValues(firstLines(result.stderr || result.stdout), liveValues)}`);

        const live = await helm(['get', 'manifest', request.release]);
        if (live.code !== 0 && !/not found/i.test(live.stderr)) throw refuse('get manifest', live);
        const exists = live.code === 0;
        let liveManifest = exists ? live.stdout : '';
        let history: HelmRenderAnswer['history'] = [];
        if (exists) {
          const hooks = await helm(['get', 'hooks', request.release]);
          if (hooks.code !== 0) throw refuse('get hooks', hooks);
          liveManifest = joinManifests(liveManifest, hooks.stdout);
          const listed = await helm(['history', request.release, '--max', '256', '--output', 'json']);
          if (listed.code !== 0) throw refuse('history', listed);
          history = parseHistory(listed.stdout);
          // The values the release was installed with live in its storage Secret, which the MCP server may not read; a
          // caller's chart rendered with reuse_values could print them (`toYaml .Values`), so each is redacted too.
          // (A template that transforms a value — `upper` — escapes a value match; what reuse_values renders is the
          // release's own configuration, which the person approving sees in the diff as well.)
          const stored = await helm(['get', 'values', request.release, '--output', 'json']);
          if (stored.code !== 0) throw refuse('get values', stored);
          liveValues.push(...storedValueStrings(stored.stdout));
          liveValues.sort((a, b) => b.length - a.length);
        }
        // what the MCP server may see: Secret documents without values, and no live Secret value copied elsewhere
        const redact = (text: string, values: string[]) => redactValues(redactSecretValues(text), values);
        const answer: HelmRenderAnswer = { release: request.release, namespace: request.namespace, exists, live_manifest: redact(liveManifest, liveValues), history };
        if (!request.chart && request.to_revision === undefined) return answer;

        let proposed: string;
        let version: number | undefined;
        if (request.to_revision !== undefined) {
          if (!exists) throw new ExecutorError('NOT_FOUND', `release ${request.namespace}/${request.release} does not exist, so there is nothing to roll back`);
          const revision = ['--revision', String(request.to_revision)];
          const target = await helm(['get', 'manifest', request.release, ...revision]);
          if (target.code !== 0) throw refuse(`get manifest --revision ${request.to_revision}`, target);
          const targetHooks = await helm(['get', 'hooks', request.release, ...revision]);
          if (targetHooks.code !== 0) throw refuse(`get hooks --revision ${request.to_revision}`, targetHooks);
          proposed = joinManifests(target.stdout, targetHooks.stdout);
          version = request.to_revision;
        } else {
          const archive = path.join(directory, 'chart.tgz');
          await writeFile(archive, Buffer.from(request.chart!.archive, 'base64'), { mode: 0o600 });
          const hasValues = request.values !== undefined;
          // --dry-run=client: the chart is the caller's, and a template's `lookup` would run as the executor, which reads
          // every Secret — a taken-over MCP server could print any of them into a ConfigMap (value redaction cannot
          // catch `substr` or `upper`). Client-side, lookup answers nothing; the install under the approval's account,
          // which reads only what it writes, could not have looked them up either. The release's storage is still read.
          const args = ['upgrade', request.release, archive, '--install', '--dry-run=client', '--output', 'json', ...(request.reuse_values ? ['--reuse-values'] : []), ...(hasValues ? ['-f', '-'] : [])];
          const dryRun = await helm(args, request.values);
          if (dryRun.code !== 0) throw refuse('upgrade --install --dry-run=client', dryRun);
          let release: { version?: unknown; manifest?: unknown; hooks?: Array<{ path?: string; manifest?: string }> };
          try {
            release = JSON.parse(dryRun.stdout) as typeof release;
          } catch {
            throw new ExecutorError('INVALID', 'helm upgrade --dry-run did not print the expected JSON release');
          }
          // the same text `helm get hooks` prints for an installed release, so unchanged hooks diff as unchanged
          const hooks = (release.hooks ?? []).map((hook) => `---\n# Source: ${hook.path ?? ''}\n${hook.manifest ?? ''}\n`).join('');
          proposed = joinManifests(typeof release.manifest === 'string' ? release.manifest : '', hooks);
          version = typeof release.version === 'number' ? release.version : undefined;
        }
        const digest = manifestDigestOf(proposed);
        const liveRevision = exists && request.to_revision === undefined && version !== undefined ? version - 1 : undefined;
        const storage = helmStorageWrites(history.length ? history : liveRevision ? [{ revision: liveRevision, status: 'deployed' }] : [], request.to_revision !== undefined ? 'rollback' : 'upgrade');
        options.store.remember({ release: request.release, namespace: request.namespace, manifest: proposed, liveManifest, storage, digest });
        // the values of the Secrets either manifest renders, wherever else they appear (a ConfigMap copying a password)
        const values = [...new Set([...liveValues, ...secretValuesOf([...secretDocuments(liveManifest), ...secretDocuments(proposed)])])].sort((a, b) => b.length - a.length);
        return { ...answer, live_manifest: redact(liveManifest, values), manifest: redact(proposed, values), manifest_digest: digest, ...(version !== undefined ? { version } : {}), storage };
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}

/** The Secret documents of a manifest, `stringData` folded into `data` (base64) as the API server would. */
function secretDocuments(manifest: string): Array<{ data: Record<string, string> }> {
  return manifestObjects(manifest)
    .filter((object) => object.kind === 'Secret')
    .map((object) => {
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries((object['data'] as Record<string, unknown> | undefined) ?? {})) if (typeof value === 'string') data[key] = value;
      for (const [key, value] of Object.entries((object['stringData'] as Record<string, unknown> | undefined) ?? {})) if (typeof value === 'string') data[key] = Buffer.from(value).toString('base64');
      return { data };
    });
}

function parseHistory(text: string): HelmRenderAnswer['history'] {
  try {
    const entries = JSON.parse(text || '[]') as Array<{ revision?: unknown; status?: unknown; description?: unknown; chart?: unknown; app_version?: unknown }>;
    return entries
      .filter((entry) => typeof entry.revision === 'number')
      .map((entry) => ({ revision: entry.revision as number, status: String(entry.status ?? ''), ...(typeof entry.description === 'string' ? { description: entry.description.slice(0, 500) } : {}), ...(typeof entry.chart === 'string' ? { chart: entry.chart.slice(0, 200) } : {}), ...(typeof entry.app_version === 'string' ? { app_version: entry.app_version.slice(0, 200) } : {}) }));
  } catch {
    throw new ExecutorError('INVALID', 'helm history did not print the expected JSON');
  }
}

/** helm's message, short: it names what failed (never values: those go on stdin). */
const firstLines = (text: string) => text.trim().split('\n').slice(0, 5).join(' ').slice(0, 1000) || 'it printed nothing';

function runHelm(helmPath: string, args: string[], env: Record<string, string>, timeoutMs: number, stdin?: string): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(helmPath, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT' || code === 'EACCES') return reject(new ExecutorError('UNSUPPORTED', `this executor has no helm at ${helmPath} (${code}); set --helm-path (SKYFLO_EXECUTOR_HELM_PATH) to a helm 3 binary`));
      if (error && (error as { killed?: boolean }).killed) return reject(new ExecutorError('MINT_FAILED', `helm ${args[0]} did not finish within ${Math.round(timeoutMs / 1000)} s`));
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end(stdin ?? '');
  });
}
