/**
 * The address users reach the Command Center at (issue 37 item 10), for absolute links in webhooks and Slack
 * (`conversation_url`) and for the Slack app's Interactivity Request URL. PUBLIC_URL wins; without it the address is
 * the first admin's browser origin (the UI reports it, and the engine keeps it only if it is that request's Origin),
 * changeable by an admin in Settings. Stored in the settings table, so every engine on the database agrees.
 *
 * Links are built synchronously while events are announced, so `base()` answers from memory: loaded at start,
 * replaced on each change here, and re-read in the background at most every `refreshMs` so a change made through
 * another engine reaches this one.
 */
import type { PublicUrlSettings, UpdatePublicUrlRequest } from '@skyflo/protocol';
import type { AuditLog, AuthenticatedUser, SettingsStore } from '../../platform/ports/index.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

export const PUBLIC_URL_SETTINGS_KEY = 'server.public_url';

interface StoredPublicUrl {
  url: string;
  origin: 'browser' | 'admin';
  set_by: string;
  updated_at: string;
}

export class PublicUrlError extends SkyfloError {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface PublicUrlServiceDeps {
  settings: SettingsStore;
  audit: AuditLog;
  /** PUBLIC_URL */
  environment?: string;
  refreshMs?: number;
  now?: () => number;
  logger?: { warn(object: unknown, message?: string): void };
}

export type PublicUrlService = ReturnType<typeof createPublicUrlService>;

/** an address without its path's trailing slash, query or fragment: links are appended to it */
const normalise = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
};

export function createPublicUrlService(deps: PublicUrlServiceDeps) {
  const now = deps.now ?? Date.now;
  const refreshMs = deps.refreshMs ?? 30_000;
  let stored: StoredPublicUrl | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;

  const read = async () => {
    const value = (await deps.settings.get(PUBLIC_URL_SETTINGS_KEY)) as StoredPublicUrl | null | undefined;
    stored = value && typeof value.url === 'string' ? value : undefined;
    readAt = now();
  };
  const refresh = () => {
    reading ??= read()
      .catch((error: unknown) => deps.logger?.warn({ err: error }, 'reading the public address failed; links keep the last one known'))
      .finally(() => (reading = undefined));
    return reading;
  };

  const view = (): PublicUrlSettings => {
    if (deps.environment) return { url: normalise(deps.environment), source: 'environment' };
    if (!stored) return { url: null, source: 'unknown' };
    return { url: stored.url, source: 'settings', origin: stored.origin, set_by: stored.set_by, updated_at: stored.updated_at };
  };

  return {
    /** loads the stored address (call once before serving) */
    load: () => refresh(),
    /** the address without a trailing slash, or '' while unknown (links stay relative) */
    base(): string {
      if (!deps.environment && now() - readAt > refreshMs) void refresh();
      return view().url ?? '';
    },
    async get(): Promise<PublicUrlSettings> {
      if (!deps.environment) await refresh();
      return view();
    },
    /**
     * Admins only. `from_browser`: the origin the UI was loaded from, kept only while no address is known and only if
     * it is the request's own Origin (so it is an address this engine really answered at); else the typed address
     * replaces the stored one.
     */
    async put(actor: AuthenticatedUser, input: UpdatePublicUrlRequest, request: { origin?: string; ip?: string }): Promise<PublicUrlSettings> {
      if (actor.role !== 'admin') throw new PublicUrlError(403, 'only an admin can change the public address', 'FORBIDDEN');
      if (deps.environment) throw new PublicUrlError(409, 'PUBLIC_URL is set on the server and wins; change it there', 'SET_BY_ENVIRONMENT');
      const url = normalise(input.url);
      if (input.from_browser) {
        if (!request.origin || normalise(request.origin) !== url) throw new PublicUrlError(400, 'from_browser: url must be the origin this request came from', 'ORIGIN_MISMATCH');
        const candidate: StoredPublicUrl = { url, origin: 'browser', set_by: actor.email, updated_at: new Date(now()).toISOString() };
        const kept = (await deps.settings.putIfAbsent(PUBLIC_URL_SETTINGS_KEY, candidate)) as StoredPublicUrl | null;
        stored = kept ?? undefined;
        readAt = now();
        // recorded only by the request whose address was kept (two first loads at once: one wins, both see it)
        if (kept && kept.updated_at === candidate.updated_at && kept.set_by === candidate.set_by && kept.url === candidate.url) {
          await deps.audit.record({ actorId: actor.id, action: 'settings.public_url_changed', subjectType: 'settings', subjectId: PUBLIC_URL_SETTINGS_KEY, details: { url, origin: 'browser' }, ...(request.ip ? { ip: request.ip } : {}) });
        }
        return view();
      }
      const next: StoredPublicUrl = { url, origin: 'admin', set_by: actor.email, updated_at: new Date(now()).toISOString() };
      const previous = stored?.url ?? null;
      await deps.settings.put(PUBLIC_URL_SETTINGS_KEY, next);
      stored = next;
      readAt = now();
      await deps.audit.record({ actorId: actor.id, action: 'settings.public_url_changed', subjectType: 'settings', subjectId: PUBLIC_URL_SETTINGS_KEY, details: { url, previous, origin: 'admin' }, ...(request.ip ? { ip: request.ip } : {}) });
      return view();
    },
  };
}
