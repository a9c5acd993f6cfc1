/**
 * Issue 74 item 1: a configured folder (RUNBOOKS_DIR, a chart directory, the UI bundle) is read without ever leaving it.
 * The attacks as they were made: a link to a file outside the folder (the engine's jwt-secret), a link to
 * /proc/self/environ, a linked subdirectory pointing outside, a FIFO (which blocks a reader forever), an oversized
 * file. What must keep working: links that stay inside, and the way Kubernetes mounts a ConfigMap (each file a link
 * into a hidden `..data` folder that is itself a link).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfinedFileError, openConfinedFolder } from '../src/files/confined-folder.ts';

const SECRET = 'jwt-secret-0f3a9c7e1b5d';
let base: string;
let folder: string;

async function refusal(work: Promise<unknown>): Promise<ConfinedFileError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfinedFileError);
  return error as ConfinedFileError;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'confined-'));
  const dataDir = path.join(base, 'data');
  await mkdir(dataDir);
  await writeFile(path.join(dataDir, 'jwt-secret'), SECRET);
  await mkdir(path.join(dataDir, 'more'));
  await writeFile(path.join(dataDir, 'more', 'secret.md'), SECRET);

  folder = path.join(base, 'runbooks');
  await mkdir(path.join(folder, 'pods'), { recursive: true });
  await writeFile(path.join(folder, 'pods', 'crashloop.md'), '# Pod crash looping\n');
  await writeFile(path.join(folder, 'big.md'), 'x'.repeat(2048));
  // the attacks
  await symlink(path.join(dataDir, 'jwt-secret'), path.join(folder, 'jwt.md'));
  await symlink('/proc/self/environ', path.join(folder, 'env.md'));
  await symlink(path.join(dataDir, 'more'), path.join(folder, 'docs'));
  await symlink('../../data/jwt-secret', path.join(folder, 'pods', 'relative.md'));
  await symlink('/nowhere/at/all.md', path.join(folder, 'dangling.md'));
  execFileSync('mkfifo', [path.join(folder, 'fifo.md')]);
  // links that stay inside
  await symlink('pods/crashloop.md', path.join(folder, 'alias.md'));
  await symlink('.', path.join(folder, 'loop'));
  // a ConfigMap volume: cm.md → ..data/cm.md, ..data → ..2026_01_01 (both inside)
  await mkdir(path.join(folder, '..2026_01_01'));
  await writeFile(path.join(folder, '..2026_01_01', 'cm.md'), '# From a ConfigMap\n');
  await symlink('..2026_01_01', path.join(folder, '..data'));
  await symlink('..data/cm.md', path.join(folder, 'cm.md'));
});

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

const runbooksFolder = () => openConfinedFolder(folder, { maxFileBytes: 1024, label: 'RUNBOOKS_DIR' });
const notHidden = (relative: string) => !relative.split('/').some((part) => part.startsWith('.'));

describe('a confined folder', () => {
  it('lists the regular files inside, links that stay inside included, and says why each other entry is left out', async () => {
    const listed = await runbooksFolder().list({ ignore: (relative) => !notHidden(relative), include: (relative, kind) => kind === 'directory' || relative.endsWith('.md') });
    // the loop link leads back to the folder itself, which is walked once; hidden ConfigMap folders are pruned
    expect(listed.files).toEqual(['alias.md', 'big.md', 'cm.md', 'pods/crashloop.md']);
    expect(listed.files).not.toContain('jwt.md');
    expect(Object.fromEntries(listed.skipped.map((entry) => [entry.relative, entry.reason]))).toEqual({
      'dangling.md': 'missing',
      docs: 'outside',
      'env.md': 'outside',
      'fifo.md': 'not-regular',
      'jwt.md': 'outside',
      'pods/relative.md': 'outside',
    });
  });

  it('refuses to read a link to a file outside, to /proc/self/environ, or through a linked directory outside', async () => {
    const confined = runbooksFolder();
    for (const name of ['jwt.md', 'env.md', 'docs/secret.md', 'pods/relative.md']) {
      const error = await refusal(confined.read(name));
      expect(error.reason).toBe('outside');
      expect(error.message).toBe(`${name} in RUNBOOKS_DIR leads outside the folder (a symbolic link to another place); it is not read. Copy the file into the folder instead of linking to it.`);
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('refuses a FIFO without blocking, a file over the cap, and a name that climbs out', async () => {
    const confined = runbooksFolder();
    expect((await refusal(confined.read('fifo.md'))).message).toBe('fifo.md in RUNBOOKS_DIR is a FIFO; only regular files are read.');
    expect((await refusal(confined.read('big.md'))).reason).toBe('too-large');
    expect((await refusal(confined.read('../data/jwt-secret'))).reason).toBe('invalid-name');
    expect((await refusal(confined.read('/etc/passwd'))).reason).toBe('invalid-name');
    expect((await refusal(confined.read('pods'))).reason).toBe('not-regular');
    expect((await refusal(confined.read('absent.md'))).reason).toBe('missing');
  });

  it('reads regular files, and links that stay inside (a ConfigMap mount among them)', async () => {
    const confined = runbooksFolder();
    expect((await confined.read('pods/crashloop.md')).toString()).toBe('# Pod crash looping\n');
    expect((await confined.read('alias.md')).toString()).toBe('# Pod crash looping\n');
    expect((await confined.read('cm.md')).toString()).toBe('# From a ConfigMap\n');
  });

  it('a folder that is itself a link (a mounted volume) is read through it', async () => {
    const linkedRoot = path.join(base, 'linked-root');
    await symlink(folder, linkedRoot);
    const confined = openConfinedFolder(linkedRoot, { maxFileBytes: 1024 });
    expect((await confined.read('pods/crashloop.md')).toString()).toBe('# Pod crash looping\n');
    expect((await refusal(confined.read('jwt.md'))).reason).toBe('outside');
  });

  it('a tree another program reads whole is refused when anything in it leads outside or is special', async () => {
    const charts = path.join(base, 'charts');
    await mkdir(path.join(charts, 'good', 'templates'), { recursive: true });
    await writeFile(path.join(charts, 'good', 'Chart.yaml'), 'name: good\nversion: 1.0.0\n');
    await symlink('../Chart.yaml', path.join(charts, 'good', 'templates', 'alias.yaml'));
    await mkdir(path.join(charts, 'leaky', 'templates'), { recursive: true });
    await symlink(path.join(base, 'data', 'jwt-secret'), path.join(charts, 'leaky', 'templates', 'secret.yaml'));
    await mkdir(path.join(charts, 'blocking'));
    execFileSync('mkfifo', [path.join(charts, 'blocking', 'values.yaml')]);
    const confined = openConfinedFolder(charts, { maxFileBytes: 1024, label: 'the chart directory' });
    await expect(confined.assertTree('good')).resolves.toBeUndefined();
    const leaky = await refusal(confined.assertTree('leaky'));
    expect(leaky.message).toBe('leaky/templates/secret.yaml in the chart directory leads outside the folder (a symbolic link to another place); it is not read. Copy the file into the folder instead of linking to it.');
    expect((await refusal(confined.assertTree('blocking'))).reason).toBe('not-regular');
  });
});
