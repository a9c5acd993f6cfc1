import { describe, expect, it } from 'vitest';
import { outcomeUnknownErrorCode } from '@skyflo/protocol';
import { createToolDeps } from '../../create-tool-deps.ts';
import { createFakeCommandRunner } from '../../exec/fake-command-runner.ts';
import type { CommandResult } from '../../exec/command-runner.ts';
import { runHelm } from './run-helm.ts';

/** runHelm with helm answering `result` (a fake runner: no process). */
async function helmAnswering(args: string[], result: Partial<CommandResult>, signal?: AbortSignal) {
  const deps = createToolDeps({ kubeconfigPath: '/nonexistent/kubeconfig', helmPath: '/usr/bin/helm', runner: createFakeCommandRunner(() => result) });
  return runHelm(deps, { args, ...(signal ? { signal } : {}) });
}

const codeOf = (outcome: Awaited<ReturnType<typeof helmAnswering>>) => (outcome.ok ? 'ok' : (outcome.output.structured?.['error'] as { code?: string } | undefined)?.code);

describe('a release change cut off mid-way (issue 75)', () => {
  it.each([
    ['upgrade stopped at its timeout', ['upgrade', 'web', './chart'], { timedOut: true, exitCode: 143 }],
    ['install whose connection to the cluster was reset', ['install', 'web', './chart'], { exitCode: 1, stderr: 'Error: INSTALLATION FAILED: Patch "https://10.0.0.1/apis/apps/v1/...": read tcp 10.0.0.2:5432->10.0.0.1:443: read: connection reset by peer' }],
    ['rollback that lost its answer', ['rollback', 'web', '2'], { exitCode: 1, stderr: 'Error: unexpected EOF' }],
    ['uninstall whose HTTP/2 connection was lost', ['uninstall', 'web'], { exitCode: 1, stderr: 'Error: uninstall: http2: client connection lost' }],
  ])('%s: outcome unknown, not failed', async (_name, args, result) => {
    const outcome = await helmAnswering(args, result);
    expect(codeOf(outcome)).toBe(outcomeUnknownErrorCode);
    expect(outcome.ok ? '' : outcome.output.text).toMatch(/^helm \w+ was sent to the cluster but .*; the release may or may not have changed\./);
  });

  it('an upgrade cancelled while it ran: outcome unknown', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(codeOf(await helmAnswering(['upgrade', 'web', './chart'], { exitCode: 130, stderr: 'cancelled' }, controller.signal))).toBe(outcomeUnknownErrorCode);
  });

  it.each([
    ['a refused connection (nothing was sent)', ['upgrade', 'web', './chart'], { exitCode: 1, stderr: 'Error: Kubernetes cluster unreachable: Get "https://10.0.0.1/version": dial tcp 10.0.0.1:443: connect: connection refused' }],
    ['a dry run that timed out (it changes nothing)', ['upgrade', 'web', './chart', '--dry-run=server'], { timedOut: true, exitCode: 143 }],
    ['a read that lost its connection', ['status', 'web'], { exitCode: 1, stderr: 'Error: read: connection reset by peer' }],
    ['a refusal by the API server', ['install', 'web', './chart'], { exitCode: 1, stderr: 'Error: INSTALLATION FAILED: deployments.apps "web" is forbidden' }],
  ])('%s: an ordinary failure', async (_name, args, result) => {
    const code = codeOf(await helmAnswering(args, result));
    expect(code).not.toBe(outcomeUnknownErrorCode);
    expect(code).not.toBe('ok');
  });
});
