import { describe, expect, it } from 'vitest';
import { helmStorageWrites } from './helm-storage-writes.ts';

const revisions = (...statuses: string[]) => statuses.map((status, index) => ({ revision: index + 1, status }));

describe('the release storage Secrets helm writes', () => {
  it('an install creates revision 1 and touches nothing else', () => {
    expect(helmStorageWrites([], 'upgrade')).toEqual({ create: 1, update: [], delete: [] });
  });

  it('an upgrade creates the next revision and supersedes the deployed one, not a failed last one', () => {
    expect(helmStorageWrites(revisions('superseded', 'deployed'), 'upgrade')).toEqual({ create: 3, update: [2], delete: [] });
    expect(helmStorageWrites(revisions('superseded', 'deployed', 'failed'), 'upgrade')).toEqual({ create: 4, update: [2], delete: [] });
    // nothing deployed: helm upgrades (and supersedes) the last release
    expect(helmStorageWrites(revisions('superseded', 'failed'), 'upgrade')).toEqual({ create: 3, update: [2], delete: [] });
  });

  it('a rollback supersedes every deployed revision and may mark the last one superseded on failure', () => {
    expect(helmStorageWrites(revisions('superseded', 'deployed'), 'rollback')).toEqual({ create: 3, update: [2], delete: [] });
    expect(helmStorageWrites(revisions('deployed', 'superseded', 'deployed', 'failed'), 'rollback')).toEqual({ create: 5, update: [4, 3, 1], delete: [] });
  });

  it('at --history-max the oldest revisions are pruned, never the deployed one', () => {
    const history = revisions('deployed', ...Array.from({ length: 9 }, () => 'failed'));
    expect(helmStorageWrites(history, 'upgrade')).toEqual({ create: 11, update: [1], delete: [2] });
    expect(helmStorageWrites(revisions(...Array.from({ length: 11 }, (_, index) => (index === 10 ? 'deployed' : 'superseded'))), 'rollback', 10)).toEqual({ create: 12, update: [11], delete: [1, 2] });
  });
});
