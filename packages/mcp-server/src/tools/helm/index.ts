import type { ToolDeps } from '../../deps/deps.ts';
import type { AnyToolDefinition } from '../../contract/tool-definition.ts';
import { helmGetManifest } from './helm-get-manifest.ts';
import { helmGetValues } from './helm-get-values.ts';
import { helmHistory } from './helm-history.ts';
import { helmInstall } from './helm-install.ts';
import { helmInstallWithValues } from './helm-install-with-values.ts';
import { helmListReleases } from './helm-list-releases.ts';
import { helmRepoAdd } from './helm-repo-add.ts';
import { helmRepoRemove } from './helm-repo-remove.ts';
import { helmRepoUpdate } from './helm-repo-update.ts';
import { helmRollback } from './helm-rollback.ts';
import { helmSearchRepo } from './helm-search-repo.ts';
import { helmShowValues } from './helm-show-values.ts';
import { helmStatus } from './helm-status.ts';
import { helmTemplate } from './helm-template.ts';
import { helmUninstall } from './helm-uninstall.ts';
import { helmUpgrade } from './helm-upgrade.ts';
import { helmUpgradeDiff } from './helm-upgrade-diff.ts';

/** The helm family: the 16 tools of the original catalogue plus helm_upgrade_diff (the preview of upgrade, install and rollback). */
export const helmTools: AnyToolDefinition<ToolDeps>[] = [
  helmListReleases,
  helmStatus,
  helmHistory,
  helmGetValues,
  helmGetManifest,
  helmShowValues,
  helmSearchRepo,
  helmTemplate,
  helmUpgradeDiff,
  helmRepoAdd,
  helmRepoUpdate,
  helmRepoRemove,
  helmInstall,
  helmInstallWithValues,
  helmUpgrade,
  helmUninstall,
  helmRollback,
];
