/** Engine-wide settings by key. */

/** Engine-wide facts and settings by key (JSON values). */
export interface SettingsStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  /** Stores the value unless the key exists; returns whichever value is stored (so concurrent first writers agree). */
  putIfAbsent(key: string, value: unknown): Promise<unknown>;
}

/**
 * Settings kept only for a while, whose keys embed a zero-padded time (one-time claims such as Slack's click
 * signatures): removed by key range once they can no longer matter. Apart from SettingsStore because only the stores
 * that write such keys prune them; readers of settings (policies, the model choice) never need it.
 */
export interface ExpiringSettings {
  /** Removes up to `limit` keys that start with `prefix` and sort (bytewise) before `before`; returns how many. */
  removeKeysBefore(prefix: string, before: string, limit: number): Promise<number>;
}
