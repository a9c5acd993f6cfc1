/**
 * Everything `skyflo chat` takes from its environment, read once here: the engine URL and token variables,
 * colour preferences, and where the OS keeps per-user configuration.
 */
import os from 'node:os';
import path from 'node:path';

export interface ChatEnvironment {
  /** SKYFLO_URL: default engine URL when --url is not given */
  url?: string;
  /** SKYFLO_TOKEN: an access token to use instead of the stored login */
  token?: string;
  /** the folder holding credentials.json */
  configDir: string;
  /** NO_COLOR set to anything non-empty (https://no-color.org) */
  noColor: boolean;
  /** FORCE_COLOR set to something other than 0/false */
  forceColor: boolean;
  /** the rest of the environment, passed to an embedded engine (model keys, LLM_HOST…) */
  variables: Record<string, string | undefined>;
}

/** The per-user configuration folder of this platform, with a `skyflo` folder inside. */
export function configDirFor(env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'win32') return path.join(env['APPDATA'] || path.join(home, 'AppData', 'Roaming'), 'skyflo');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'skyflo');
  const base = env['XDG_CONFIG_HOME'] && path.isAbsolute(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : path.join(home, '.config');
  return path.join(base, 'skyflo');
}

export function readChatEnvironment(env: Record<string, string | undefined> = process.env): ChatEnvironment {
  const force = env['FORCE_COLOR'];
  return {
    ...(env['SKYFLO_URL'] ? { url: env['SKYFLO_URL'] } : {}),
    ...(env['SKYFLO_TOKEN'] ? { token: env['SKYFLO_TOKEN'] } : {}),
    configDir: env['SKYFLO_CONFIG_DIR'] || configDirFor(env),
    noColor: Boolean(env['NO_COLOR']),
    forceColor: force !== undefined && force !== '' && force !== '0' && force !== 'false',
    variables: { ...env },
  };
}
