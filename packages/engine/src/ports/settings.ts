/** Engine-wide settings by key. */

/** Engine-wide facts and settings by key (JSON values). */
export interface SettingsStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  /** Stores the value unless the key exists; returns whichever value is stored (so concurrent first writers agree). */
  putIfAbsent(key: string, value: unknown): Promise<unknown>;
}
