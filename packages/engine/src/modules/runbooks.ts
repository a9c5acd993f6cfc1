/**
 * Team runbooks (issue 36) for the composition root (create-engine.ts): RUNBOOKS_DIR and those uploaded in Settings,
 * offered to the model when they match; and their routes.
 */
import type { Config } from '../platform/config/index.ts';
import type { MountedRoutes } from '../http/app.ts';
import { runbookRoutes, type RunbookRouteDeps } from '../http/routes/runbooks/index.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { createRunbooks } from '../app/runbooks/create-runbooks.ts';

export interface RunbooksDeps {
  config: Pick<Config, 'integrations'>;
  storage: PlatformStorage;
  logger: { error(object: unknown, message?: string): void; warn(object: unknown, message?: string): void; info(object: unknown, message?: string): void };
}

export function createRunbooksModule({ config, storage, logger }: RunbooksDeps) {
  const runbooks = createRunbooks({ settings: storage.settings, audit: storage.audit, logger, ...(config.integrations.runbooksDir ? { directory: config.integrations.runbooksDir } : {}) });
  const routes: MountedRoutes<any>[] = [{ plugin: runbookRoutes, options: { runbooks } satisfies RunbookRouteDeps }];
  return { runbooks, routes };
}
