/**
 * Where declared policies and freezes come from (issue 76 item 3, "managed like code"):
 * - the cluster: SkyfloPolicy and SkyfloFreeze objects in DECLARED_OBJECTS_NAMESPACE (the install's own namespace),
 *   read with the engine's own identity — the chart's Role lets it get/list/watch them there and nothing more;
 * - POLICIES_DIR: a folder of YAML files (often a git checkout) holding the same objects, several documents per file.
 *   It is read through the confined-folder reader (the runbooks' one): a link out of the folder, a FIFO or device,
 *   or a file over 256 KiB is not read (and said once). A file that is not YAML fails the whole listing — nothing
 *   declared in the folder changes until it is fixed — rather than dropping the policies it held.
 */
import { ConfinedFileError, openConfinedFolder } from '@skyflo/connectors/confined-folder';
import type { KubeObject } from '@skyflo/protocol';
import { skyfloFreezeKind, skyfloPolicyKind } from '@skyflo/safety/declared';
import { parseAllDocuments } from 'yaml';
import { clusterKey, fileKey } from '@skyflo/safety/declared';
import { loadOwnKubeConfig } from '../../platform/config/own-kube-config.ts';

export type DeclaredKindName = typeof skyfloPolicyKind | typeof skyfloFreezeKind;

export interface DeclaredObject {
  /** managed_by of the row it declares */
  key: string;
  object: KubeObject;
}

export interface DeclaredObjectSource {
  /** for logs: "the cluster", "POLICIES_DIR" */
  label: string;
  /** whether a managed_by key is this source's (a source only ever changes its own rows) */
  owns(key: string): boolean;
  /** the declarations of one kind; throws when the source cannot be read (nothing is changed then) */
  list(kind: DeclaredKindName): Promise<DeclaredObject[]>;
}

const plurals: Record<DeclaredKindName, string> = { SkyfloPolicy: 'skyflopolicies', SkyfloFreeze: 'skyflofreezes' };

export async function createClusterObjectSource(options: { namespace: string; kubeconfigPath?: string }): Promise<DeclaredObjectSource> {
  const { kubeConfig, kube } = await loadOwnKubeConfig(options.kubeconfigPath);
  const { ApiException } = kube;
  const objects = kubeConfig.makeApiClient(kube.CustomObjectsApi);
  return {
    label: `the cluster (namespace ${options.namespace})`,
    owns: (key) => key.startsWith(`${skyfloPolicyKind} `) || key.startsWith(`${skyfloFreezeKind} `),
    async list(kind) {
      let listed: { items?: KubeObject[] };
      try {
        listed = (await objects.listNamespacedCustomObject({ group: 'skyflo.ai', version: 'v1alpha1', namespace: options.namespace, plural: plurals[kind] })) as { items?: KubeObject[] };
      } catch (error) {
        // the kind is not installed: there are no such objects (removing a CRD removes its objects too)
        if (error instanceof ApiException && error.code === 404) return [];
        throw error;
      }
      return (listed.items ?? []).map((object) => ({ key: clusterKey(kind, object.metadata?.namespace ?? options.namespace, object.metadata?.name ?? ''), object }));
    },
  };
}

const maxFiles = 200;
const maxFileBytes = 262_144;

export function createFolderObjectSource(options: { directory: string; logger?: { warn(object: unknown, message?: string): void } }): DeclaredObjectSource {
  // Why confined (issue 74): the folder is often a checkout others push to; a link in it to a secret of the engine's
  // would otherwise be read, and its parse error shown to admins.
  const folder = openConfinedFolder(options.directory, { maxFileBytes, label: 'POLICIES_DIR' });
  const reported = new Set<string>();
  const report = (entry: { relative: string; reason: string; message: string }) => {
    const key = `${entry.relative}\0${entry.reason}`;
    if (reported.has(key)) return;
    reported.add(key);
    options.logger?.warn({ file: entry.relative, reason: entry.reason }, `POLICIES_DIR file skipped: ${entry.message}`);
  };
  const isYaml = (relative: string) => /\.ya?ml$/i.test(relative);
  return {
    label: 'POLICIES_DIR',
    owns: (key) => key.startsWith('file '),
    async list(kind) {
      // dot-folders (.git, a ConfigMap's ..data) hold no declarations of their own
      const listed = await folder.list({ ignore: (relative) => relative.split('/').some((part) => part.startsWith('.')), include: (relative, type) => type === 'directory' || isYaml(relative), maxFiles });
      listed.skipped.filter((entry) => isYaml(entry.relative) || entry.reason !== 'missing').forEach(report);
      const declared: DeclaredObject[] = [];
      for (const relative of listed.files) {
        let text: string;
        try {
          text = (await folder.read(relative)).toString('utf8');
        } catch (error) {
          // swapped for a link or grown past the cap since it was listed: not read, like at listing
          if (error instanceof ConfinedFileError) {
            report(error);
            continue;
          }
          throw error;
        }
        const documents = parseAllDocuments(text);
        if (!Array.isArray(documents)) continue; // an empty file
        documents.forEach((document, index) => {
          if (document.errors.length > 0) throw new Error(`POLICIES_DIR ${relative} is not valid YAML (document ${index + 1}: ${document.errors[0]!.message}); nothing declared in the folder changes until it is fixed`);
          const object = document.toJS() as KubeObject | null;
          if (!object || object.kind !== kind) return;
          declared.push({ key: fileKey(relative, kind, object.metadata?.name ?? `(document ${index + 1})`), object });
        });
      }
      return declared;
    },
  };
}
