import type { SecretBox } from './secret-box.ts';
import type { SettingsStore } from '../ports/index.ts';

const checkKey = 'encryption_key_check';
const checkContext = 'encryption-key-check';

/**
 * Refuses to start with an encryption key other than the one this database was first used with. Why: replicas with
 * different keys (or a key lost with a data dir) would each seal values the others cannot open, and calls approved
 * on one replica would fail to run on another; better one clear start-up error than many confusing refusals later.
 */
export async function verifyEncryptionKey(settings: SettingsStore, box: SecretBox): Promise<void> {
  const stored = await settings.putIfAbsent(checkKey, box.seal('skyflo', checkContext));
  try {
    if (typeof stored === 'string' && box.open(stored, checkContext) === 'skyflo') return;
  } catch {
    // fall through to the error below
  }
  throw new Error(
    'SKYFLO_ENCRYPTION_KEY is not the key this database was first used with (every engine process of an installation must use the same key, and it must not change). Set the original key, e.g. from the first engine\'s SKYFLO_DATA_DIR/encryption-key.',
  );
}
