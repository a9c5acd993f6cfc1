import { describe, expect, it } from 'vitest';
import { testDatabaseName, testNamePrefix, testPostgresAdminUrl, testPostgresUrl, testRedisKeyPrefix, testRedisUrl } from './shared-services.ts';

describe('names the suites give what they create on the shared Postgres and Redis', () => {
  it('two prefixes give disjoint database names and Redis key prefixes', () => {
    const names = (prefix: string) => Array.from({ length: 50 }, () => testDatabaseName('run', { TEST_DB_PREFIX: prefix }));
    const keys = (prefix: string) => Array.from({ length: 50 }, () => testRedisKeyPrefix('bus', { TEST_DB_PREFIX: prefix }));
    const [a, b] = [names('ci_job_a_'), names('ci_job_b_')];
    expect(a.every((name) => name.startsWith('ci_job_a_run_') && !name.startsWith('ci_job_b_'))).toBe(true);
    expect(b.every((name) => name.startsWith('ci_job_b_run_'))).toBe(true);
    expect(a.filter((name) => b.includes(name))).toEqual([]);
    expect(keys('ci_job_a_').every((key) => key.startsWith('ci_job_a_bus-') && key.endsWith(':'))).toBe(true);
    expect(keys('ci_job_b_').some((key) => key.startsWith('ci_job_a_'))).toBe(false);
    // each name is a valid Postgres identifier that fits its 63 bytes, and each is fresh
    expect([...a, ...b].every((name) => /^[a-z_][a-z0-9_]{0,62}$/.test(name))).toBe(true);
    expect(new Set(a).size).toBe(a.length);
  });

  it('without TEST_DB_PREFIX, two checkouts on one host get two prefixes (and one checkout always the same)', () => {
    const first = testNamePrefix({}, '/ci/builds/job-1/skyflo');
    const second = testNamePrefix({}, '/ci/builds/job-2/skyflo');
    expect(first).toMatch(/^skyflo_test_[0-9a-f]{8}_$/);
    expect(second).not.toBe(first);
    expect(testNamePrefix({}, '/ci/builds/job-1/skyflo')).toBe(first);
    expect(testDatabaseName('', {}, '/ci/builds/job-1/skyflo').startsWith(first)).toBe(true);
    expect(testDatabaseName('', {}, '/ci/builds/job-2/skyflo').startsWith(first)).toBe(false);
  });

  it('refuses a prefix that is not a plain Postgres name, rather than quoting it into SQL', () => {
    for (const bad of ['Skyflo', 'a-b', 'x; DROP DATABASE postgres', '1abc', 'a'.repeat(41)]) {
      expect(() => testNamePrefix({ TEST_DB_PREFIX: bad }), bad).toThrow(/TEST_DB_PREFIX must be/);
    }
  });

  it('reaches the servers TEST_POSTGRES_URL and TEST_REDIS_URL name, and 127.0.0.1 by default', () => {
    expect(testPostgresAdminUrl({})).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(testRedisUrl({})).toBe('redis://127.0.0.1:6379/0');
    const env = { TEST_POSTGRES_URL: 'postgres://ci:pw@db.ci.internal:6543/admin?sslmode=disable', TEST_REDIS_URL: 'redis://cache.ci.internal:6380/3' };
    expect(testPostgresAdminUrl(env)).toBe(env.TEST_POSTGRES_URL);
    expect(testPostgresUrl('skyflo_x', {}, env)).toBe('postgres://ci:pw@db.ci.internal:6543/skyflo_x?sslmode=disable');
    expect(testPostgresUrl('skyflo_x', { user: 'skyflo_app_1' }, env)).toBe('postgres://skyflo_app_1@db.ci.internal:6543/skyflo_x?sslmode=disable');
    expect(testRedisUrl(env)).toBe('redis://cache.ci.internal:6380/3');
    expect(() => testPostgresAdminUrl({ TEST_POSTGRES_URL: 'mysql://x' })).toThrow(/TEST_POSTGRES_URL/);
    expect(() => testRedisUrl({ TEST_REDIS_URL: '127.0.0.1:6379' })).toThrow(/TEST_REDIS_URL/);
  });
});
