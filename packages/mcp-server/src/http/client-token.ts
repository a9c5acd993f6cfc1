/**
 * The client token generated when neither --auth-token nor --client-token is set: created once in the data dir,
 * readable only by its owner (0600), and reused on every start, so an IDE configured with it keeps working. Its
 * path, never its value, is printed at start (logs are read by more people than the file).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const clientTokenFileName = 'mcp-client-token';

/** 32 random bytes; shorter content is treated as damaged and replaced only if the file is missing. */
const isValidToken = (value: string) => /^[A-Za-z0-9_-]{32,}$/.test(value);

export async function loadOrCreateClientToken(dataDir: string): Promise<{ token: string; file: string; created: boolean }> {
  const file = path.join(dataDir, clientTokenFileName);
  const existing = await readToken(file);
  if (existing !== undefined) return { token: existing, file, created: false };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  try {
    // 'wx': another server starting at the same moment may have created it; theirs wins and is read back
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = await readToken(file);
    if (raced === undefined) throw new Error(`${file} exists but holds no valid token; delete it to have a new one generated.`);
    return { token: raced, file, created: false };
  }
}

async function readToken(file: string): Promise<string | undefined> {
  let content: string;
  try {
    content = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!isValidToken(content)) throw new Error(`${file} holds no valid client token (expected 32+ URL-safe characters); delete it to have a new one generated.`);
  // a copy restored with a wider mode is narrowed again: the token is as good as a password
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  return content;
}
