import { describe, expect, it } from 'vitest';
import { callerTokenProblems, createCallerAuth, type Caller } from './caller-auth.ts';

const auth = createCallerAuth({ engine: 'engine-token', dryRun: 'mcp-token', admission: 'api-server-token' });

describe("the executor's callers", () => {
  it.each<[string, string | undefined, Caller, number | undefined]>([
    ["the engine's token on an engine endpoint", 'Bearer engine-token', 'engine', undefined],
    ["the MCP server's token on the dry-run proxy", 'Bearer mcp-token', 'dry-run', undefined],
    ["the API server's token on the webhook", 'bearer  api-server-token ', 'admission', undefined],
    ["the MCP server's token on an engine endpoint", 'Bearer mcp-token', 'engine', 403],
    ["the engine's token on the dry-run proxy", 'Bearer engine-token', 'dry-run', 403],
    ["the engine's token on the webhook", 'Bearer engine-token', 'admission', 403],
    ['an unknown token', 'Bearer something-else', 'engine', 401],
    ['no header', undefined, 'dry-run', 401],
    ['another scheme', 'Basic ZW5naW5lLXRva2Vu', 'engine', 401],
  ])('%s', (_name, header, needed, status) => {
    expect(auth.check(header, needed)?.status).toBe(status);
  });

  it('closes the dry-run proxy and the webhook check when their tokens are not configured', () => {
    const engineOnly = createCallerAuth({ engine: 'engine-token' });
    expect(engineOnly.check('Bearer engine-token', 'dry-run')?.status).toBe(403);
    expect(engineOnly.check('Bearer ', 'dry-run')?.status).toBe(401);
    expect(engineOnly.hasAdmission).toBe(false);
  });

  it('refuses two callers sharing a token', () => {
    expect(callerTokenProblems({ engine: 'a', dryRun: 'b', admission: 'c' })).toEqual([]);
    expect(callerTokenProblems({ engine: 'a', dryRun: 'a' })).toEqual(['SKYFLO_EXECUTOR_TOKEN and SKYFLO_DRY_RUN_TOKEN are the same token; each caller needs its own']);
    expect(callerTokenProblems({ engine: 'a', dryRun: 'b', admission: 'b' })).toEqual(['SKYFLO_DRY_RUN_TOKEN and SKYFLO_EXECUTOR_ADMISSION_TOKEN are the same token; each caller needs its own']);
  });
});
