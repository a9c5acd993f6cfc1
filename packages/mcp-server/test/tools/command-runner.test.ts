/** The real CommandRunner: argv only (no shell), stdin, exit codes, timeouts, missing binaries. */
import { describe, expect, it } from 'vitest';
import { createCommandRunner } from '../../src/exec/create-command-runner.ts';
import { ToolInputError } from '../../src/contract/errors.ts';

const runner = createCommandRunner({ defaultTimeoutMs: 5000 });
const node = process.execPath;

describe('createCommandRunner', () => {
  it('passes shell metacharacters through as literal argv, never to a shell', async () => {
    const result = await runner.run({ binary: node, args: ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$(id); rm -rf / | cat `x` && echo'] });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['$(id); rm -rf / | cat `x` && echo']);
  });

  it('feeds stdin and reports non-zero exits with stderr', async () => {
    const echoed = await runner.run({ binary: node, args: ['-e', 'process.stdin.pipe(process.stdout)'], stdin: 'kind: ConfigMap\n' });
    expect(echoed.stdout).toBe('kind: ConfigMap\n');
    const failed = await runner.run({ binary: node, args: ['-e', 'console.error("boom"); process.exit(3)'] });
    expect(failed).toMatchObject({ exitCode: 3, timedOut: false });
    expect(failed.stderr).toContain('boom');
  });

  it('kills a command that runs past its timeout', async () => {
    // the command never ends by itself: run() returning at all means the timeout killed it
    const result = await runner.run({ binary: node, args: ['-e', 'setInterval(() => {}, 60_000)'], timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
  });

  it('turns a missing binary into a clear MISSING_BINARY error', async () => {
    await expect(runner.run({ binary: '/nonexistent/kubectl', args: ['version'] })).rejects.toSatisfy(
      (error: unknown) => error instanceof ToolInputError && error.code === 'MISSING_BINARY' && /not available/.test(error.message),
    );
  });
});
