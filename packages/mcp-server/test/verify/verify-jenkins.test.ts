/**
 * Issue 21: an approved Jenkins build is followed to its result. Against jenkins-sim, the way the engine runs it:
 * jenkins_trigger_build, then verify_change with the call's own result (the build it started). A build that succeeds
 * is verified; one that fails is regressed with the build's URL, result and last console lines (redacted); one still
 * running at the bound is timed_out; a stopped build is verified once it is no longer running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { createVerificationTools } from '../../src/verify/index.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

const tool = (name: string) => [...jenkinsTools, ...createVerificationTools(jenkinsTools)].find((candidate) => candidate.name === name)!;

let sim: JenkinsSim;
let deps: ToolDeps;
const auth = { credentials_ref: 'skyflo/jenkins-cred-0123' };

beforeAll(async () => {
  sim = await startJenkinsSim({
    buildDurationMs: 100,
    queueDelayMs: 20,
    scenario: {
      jobs: [
        { type: 'pipeline', name: 'release', results: ['SUCCESS'], logLines: ['Building release', 'Done'] },
        {
          type: 'pipeline',
          name: 'broken',
          results: ['FAILURE'],
          logLines: ['Compiling', 'Using token ghp_abcdefghijklmnopqrstuvwxyz0123456789 to push', 'ERROR: unit tests failed: 3 of 120'],
        },
        { type: 'pipeline', name: 'flaky', results: ['UNSTABLE'] },
        { type: 'freestyle', name: 'nightly', buildDurationMs: 600_000 },
      ],
    },
  });
  deps = helmDeps({ settings: { jenkinsPollIntervalMs: 20 } });
  deps.jenkinsCredentials = { resolve: async () => ({ apiUrl: sim.url, username: 'admin', apiToken: sim.token }) };
});
afterAll(() => sim?.close());

/** Triggers `job`, then verifies the call with its result, as the engine does after an approved call. */
async function triggerAndVerify(job: string, timeoutSeconds = 30) {
  const args = { ...auth, jobFullName: job };
  const triggered = await callTool(tool('jenkins_trigger_build'), args, deps);
  expect(triggered.isError, triggered.text).toBeFalsy();
  const result = JSON.parse(triggered.text) as { body: { buildNumber: number } };
  const verification = await callTool(tool('verify_change'), { tool: 'jenkins_trigger_build', args, result, timeout_seconds: timeoutSeconds }, deps);
  expect(verification.isError, verification.text).toBeFalsy();
  return { buildNumber: result.body.buildNumber, verdict: verification.structured as { outcome: string; summary: string; evidence: Array<{ read: string; text: string }> }, text: verification.text };
}

describe('verify_change follows a Jenkins build to its result', () => {
  it('a build that succeeds is verified, with its URL and result', async () => {
    const { buildNumber, verdict } = await triggerAndVerify('release');
    expect(verdict.outcome).toBe('verified');
    expect(verdict.summary).toBe(`build #${buildNumber} of release succeeded`);
    expect(verdict.evidence[0]!.text).toContain(`url: ${sim.url}/job/release/${buildNumber}/`);
    expect(verdict.evidence[0]!.text).toContain('result: SUCCESS');
  });

  it('a build that fails is regressed: the result, the build URL and the last console lines, redacted', async () => {
    const { buildNumber, verdict, text } = await triggerAndVerify('broken');
    expect(verdict.outcome).toBe('regressed');
    expect(verdict.summary).toBe(`build #${buildNumber} of broken ended FAILURE`);
    expect(verdict.evidence[0]!.text).toContain('result: FAILURE');
    expect(verdict.evidence[0]!.text).toContain(`/job/broken/${buildNumber}/`);
    const console = verdict.evidence.find((entry) => entry.read.includes('consoleText'))!;
    expect(console.text).toContain('ERROR: unit tests failed: 3 of 120');
    expect(console.text).toContain('Finished: FAILURE');
    // the token printed by the build never leaves the MCP server
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(JSON.stringify(verdict)).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('an UNSTABLE build is regressed too', async () => {
    const { verdict } = await triggerAndVerify('flaky');
    expect(verdict).toMatchObject({ outcome: 'regressed', summary: expect.stringContaining('ended UNSTABLE') });
  });

  it('a build still running at the bound is timed_out; stopping it is then verified once it no longer runs', async () => {
    const { buildNumber, verdict } = await triggerAndVerify('nightly', 1);
    expect(verdict.outcome).toBe('timed_out');
    expect(verdict.summary).toBe(`build #${buildNumber} of nightly was still running at the deadline`);

    const args = { ...auth, jobFullName: 'nightly', build: buildNumber };
    const stopped = await callTool(tool('jenkins_stop_build'), args, deps);
    expect(stopped.isError, stopped.text).toBeFalsy();
    const verification = await callTool(tool('verify_change'), { tool: 'jenkins_stop_build', args, result: JSON.parse(stopped.text), timeout_seconds: 30 }, deps);
    expect(verification.structured).toMatchObject({ outcome: 'verified', summary: `build #${buildNumber} of nightly is stopped (result ABORTED)` });
  });

  it('a result that names no build is not_applicable, not a guess at "the last build"', async () => {
    const verification = await callTool(tool('verify_change'), { tool: 'jenkins_trigger_build', args: { ...auth, jobFullName: 'release' }, result: { status: 201, body: { message: 'requested' } } }, deps);
    expect(verification.structured).toMatchObject({ outcome: 'not_applicable' });
  });
});
