/**
 * Keeps the login (access and refresh token) per engine URL in `<config dir>/credentials.json`, readable by the
 * user only (0600, folder 0700). Writes go to a temporary file that is renamed over the old one, so a crash never
 * leaves half a file, and a file found readable by others is narrowed back to 0600 with a warning.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Session } from './api-client.ts';

const storedSessionSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  email: z.string().optional(),
  saved_at: z.string(),
});
const credentialsFileSchema = z.object({ version: z.literal(1), servers: z.record(z.string(), storedSessionSchema) });
type CredentialsFile = z.infer<typeof credentialsFileSchema>;

export interface StoredLogin extends Session {
  email?: string;
}

export interface TokenStore {
  readonly file: string;
  load(url: string): StoredLogin | undefined;
  save(url: string, login: StoredLogin): void;
  remove(url: string): void;
  /** the engines a login is stored for, as saved (what `--logout` without `--url` chooses from) */
  servers(): string[];
}

/** The same engine reached as http://127.0.0.1:8080/ or http://127.0.0.1:8080 is one entry. */
function keyOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
}

export function createTokenStore(input: { configDir: string; warn?: (message: string) => void }): TokenStore {
  const file = path.join(input.configDir, 'credentials.json');
  const warn = input.warn ?? ((message: string) => process.stderr.write(`skyflo: ${message}\n`));

  function read(): CredentialsFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return { version: 1, servers: {} };
    }
    if (process.platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) {
        warn(`${file} was readable by other users (mode ${mode.toString(8)}); restricted it to 0600.`);
        chmodSync(file, 0o600);
      }
    }
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch {
      content = undefined;
    }
    const parsed = credentialsFileSchema.safeParse(content);
    if (!parsed.success) {
      warn(`${file} is not a credentials file this version understands; log in again with \`skyflo chat --login\`.`);
      return { version: 1, servers: {} };
    }
    return parsed.data;
  }

  function write(content: CredentialsFile): void {
    mkdirSync(input.configDir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    // mode applies on creation only; the file is new (pid-suffixed), so it never exists with wider permissions.
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, file);
  }

  return {
    file,
    load(url) {
      const entry = read().servers[keyOf(url)];
      if (!entry) return undefined;
      return { accessToken: entry.access_token, ...(entry.refresh_token ? { refreshToken: entry.refresh_token } : {}), ...(entry.email ? { email: entry.email } : {}) };
    },
    save(url, login) {
      const content = read();
      content.servers[keyOf(url)] = {
        access_token: login.accessToken,
        ...(login.refreshToken ? { refresh_token: login.refreshToken } : {}),
        ...(login.email ? { email: login.email } : {}),
        saved_at: new Date().toISOString(),
      };
      write(content);
    },
    servers() {
      return Object.keys(read().servers);
    },
    remove(url) {
      const content = read();
      if (!(keyOf(url) in content.servers)) return;
      delete content.servers[keyOf(url)];
      if (Object.keys(content.servers).length === 0) rmSync(file, { force: true });
      else write(content);
    },
  };
}
