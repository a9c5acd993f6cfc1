/**
 * The team's runbooks: the Markdown files under RUNBOOKS_DIR (a folder or a git checkout, read on each use so a
 * `git pull` shows at once; read-only here) and those an admin uploaded in Settings (kept in the settings table
 * under one key). `contextFor` chooses the best 1–2 for a message and fences them for the model (runbook-prompt.ts).
 */
import { ConfinedFileError, openConfinedFolder } from '@skyflo/connectors/confined-folder';
import { redactObject, redactText } from '@skyflo/safety';
import type { RunbookDetail, RunbookRef, RunbookSummary, UploadRunbookRequest } from '@skyflo/protocol';
import type { AuditLog, AuthenticatedUser, SettingsStore } from '../../platform/ports/index.ts';
import { parseRunbook, type RunbookDocument } from './runbook-document.ts';
import { rankRunbooks, signalsOf } from './match-runbooks.ts';
import { buildRunbookPrompt, defaultRunbookTokenBudget } from './runbook-prompt.ts';
import { runbookNameFromUrl } from './runbook-url.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import { sharedRead } from '../../platform/reads/shared-read.ts';

export interface RunbooksDeps {
  settings: SettingsStore;
  audit?: Pick<AuditLog, 'record'>;
  /** RUNBOOKS_DIR */
  directory?: string;
  tokenBudget?: number;
  logger?: { error(object: unknown, message?: string): void; warn(object: unknown, message?: string): void };
}

interface StoredRunbook {
  name: string;
  markdown: string;
  updated_at: number;
}

export class RunbookError extends SkyfloError {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const uploadedKey = 'runbooks.uploaded';
/** Bounds on what a folder may hold: runbooks are small documents, not a place to read a whole repository from. */
const maxFiles = 500;
const maxFileBytes = 65_536;
const maxUploaded = 200;

type Loaded = RunbookDocument & { source: 'directory' | 'uploaded'; markdown: string; updated_at?: number };

export type Runbooks = ReturnType<typeof createRunbooks>;

export function createRunbooks(deps: RunbooksDeps) {
  // Why confined (issue 74): the folder is often a git checkout others push to, and a link in it to the engine's
  // jwt-secret or /proc/self/environ was served to members as a runbook. Links are followed only inside the folder.
  const folder = deps.directory ? openConfinedFolder(deps.directory, { maxFileBytes, label: 'RUNBOOKS_DIR' }) : undefined;
  // each refused file is logged once per reason (the folder is read on every use), so an operator learns why it is missing
  const reported = new Set<string>();
  const report = (entry: { relative: string; reason: string; message: string }) => {
    const key = `${entry.relative}\0${entry.reason}`;
    if (reported.has(key)) return;
    reported.add(key);
    deps.logger?.warn({ file: entry.relative, reason: entry.reason }, `runbook skipped: ${entry.message}`);
  };

  async function readDirectory(): Promise<Loaded[]> {
    if (!folder) return [];
    let listed;
    try {
      // dot-folders (.git, a ConfigMap's ..data) are not runbooks
      listed = await folder.list({ ignore: (relative) => relative.split('/').some((part) => part.startsWith('.')), include: (relative, kind) => kind === 'directory' || /\.md$/i.test(relative), maxFiles });
    } catch (error) {
      deps.logger?.error({ err: error, directory: folder.root }, 'could not read RUNBOOKS_DIR');
      return [];
    }
    listed.skipped.filter((entry) => /\.md$/i.test(entry.relative) || entry.reason !== 'missing').forEach(report);
    const loaded: Loaded[] = [];
    for (const name of listed.files) {
      try {
        const markdown = (await folder.read(name)).toString('utf8');
        loaded.push({ ...parseRunbook(name, markdown), source: 'directory', markdown });
      } catch (error) {
        // refused (too large, swapped for a link since the listing) or removed while reading: skipped
        if (error instanceof ConfinedFileError && error.reason !== 'missing') report(error);
      }
    }
    return loaded;
  }

  const putUploaded = async (value: StoredRunbook[]) => {
    try {
      await deps.settings.put(uploadedKey, value);
    } finally {
      uploadedRow.forget();
    }
  };
  // Read by every chat's run start (contextFor): one read for the runs that ask while it is in flight
  // (platform/reads/shared-read.ts); an upload or delete here is read back by the next caller.
  const uploadedRow = sharedRead(() => deps.settings.get(uploadedKey));
  async function readUploaded(): Promise<StoredRunbook[]> {
    const stored = await uploadedRow.read();
    return Array.isArray(stored) ? (stored as StoredRunbook[]) : [];
  }

  /** Uploaded runbooks first: a name in both is the uploaded one (what an admin chose last). */
  async function all(): Promise<Loaded[]> {
    const uploaded = (await readUploaded()).map((item): Loaded => ({ ...parseRunbook(item.name, item.markdown), source: 'uploaded', markdown: item.markdown, updated_at: item.updated_at }));
    const names = new Set(uploaded.map((item) => item.name));
    return [...uploaded, ...(await readDirectory()).filter((item) => !names.has(item.name))];
  }

  // every field a runbook's author wrote is shown redacted, like its body
  const summary = (item: Loaded): RunbookSummary => ({ name: item.name, title: redactText(item.title), source: item.source, ...(redactObject({ alerts: item.alerts, labels: item.labels, kinds: item.kinds }) as Pick<RunbookSummary, 'alerts' | 'labels' | 'kinds'>), ...(item.updated_at ? { updated_at: item.updated_at } : {}) });

  return {
    directoryConfigured: Boolean(deps.directory),
    async list(): Promise<RunbookSummary[]> {
      return (await all()).map(summary);
    },
    async get(name: string): Promise<RunbookDetail | undefined> {
      const item = (await all()).find((candidate) => candidate.name === name);
      // shown redacted, as the model sees it: a secret pasted into a runbook is not handed back in clear either
      return item ? { ...summary(item), markdown: redactText(item.markdown) } : undefined;
    },
    async upload(user: AuthenticatedUser, input: UploadRunbookRequest, ip?: string): Promise<RunbookSummary> {
      if (user.role !== 'admin') throw new RunbookError(403, 'Only admins can upload runbooks', 'FORBIDDEN');
      const stored = await readUploaded();
      const rest = stored.filter((item) => item.name !== input.name);
      if (rest.length >= maxUploaded) throw new RunbookError(409, `At most ${maxUploaded} runbooks can be uploaded; delete one, or keep them in a folder (RUNBOOKS_DIR).`, 'TOO_MANY_RUNBOOKS');
      // Stored redacted (issue 74): every reader sees it redacted anyway, so a secret pasted into a runbook is never
      // kept in clear in the database, its backups or a settings export.
      const item: StoredRunbook = { name: input.name, markdown: redactText(input.markdown), updated_at: Date.now() };
      await putUploaded([...rest, item].sort((a, b) => a.name.localeCompare(b.name)));
      await deps.audit?.record({ actorId: user.id, action: rest.length < stored.length ? 'runbook.replaced' : 'runbook.uploaded', subjectType: 'runbook', subjectId: input.name, details: { chars: input.markdown.length }, ...(ip ? { ip } : {}) });
      return summary({ ...parseRunbook(item.name, item.markdown), source: 'uploaded', markdown: item.markdown, updated_at: item.updated_at });
    },
    async remove(user: AuthenticatedUser, name: string, ip?: string): Promise<void> {
      if (user.role !== 'admin') throw new RunbookError(403, 'Only admins can delete runbooks', 'FORBIDDEN');
      const stored = await readUploaded();
      if (!stored.some((item) => item.name === name)) {
        const inFolder = (await readDirectory()).some((item) => item.name === name);
        throw inFolder ? new RunbookError(409, `${name} is a file in RUNBOOKS_DIR; remove it there.`, 'RUNBOOK_READ_ONLY') : new RunbookError(404, `No uploaded runbook named ${name}`, 'NOT_FOUND');
      }
      await putUploaded(stored.filter((item) => item.name !== name));
      await deps.audit?.record({ actorId: user.id, action: 'runbook.deleted', subjectType: 'runbook', subjectId: name, details: {}, ...(ip ? { ip } : {}) });
    },
    /** The best runbooks for a message (an alert investigation or a question), fenced for the system prompt. */
    async contextFor(message: string): Promise<{ prompt: string; used: RunbookRef[] } | undefined> {
      const runbooks = await all();
      if (runbooks.length === 0) return undefined;
      const signals = signalsOf(message);
      const known = new Set(runbooks.map((item) => item.name));
      const linked = new Set(signals.runbookUrls.map((url) => runbookNameFromUrl(url, known, deps.directory)).filter((name): name is string => name !== undefined));
      const built = buildRunbookPrompt(rankRunbooks(runbooks, signals, linked), deps.tokenBudget ?? defaultRunbookTokenBudget);
      if (!built) return undefined;
      return { prompt: built.prompt, used: built.used.map(({ runbook, reasons }) => ({ name: runbook.name, title: redactText(runbook.title), source: (runbook as Loaded).source, reasons })) };
    },
  };
}
