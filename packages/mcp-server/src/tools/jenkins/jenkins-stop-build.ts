import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { buildSegment, jobPath } from './job-path.ts';
import { httpFailure, isSuccess, jenkinsResult, resolveBuildNumber, runJenkins, withJenkins } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

interface BuildState {
  number?: number;
  building?: boolean;
  result?: string | null;
  url?: string;
}

export const jenkinsStopBuild = defineTool({
  name: 'jenkins_stop_build',
  title: 'Jenkins: Stop Build',
  description: 'Stop (abort) a running Jenkins build; reports when the build is already finished instead of failing.',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField, build: buildField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  resolve: (input, deps: ToolDeps, context) => resolveBuildNumber(input, deps, context),
  // The preview names the build and whether it still runs: a build that finished since the approval changes it.
  describeCall: (input, deps: ToolDeps, context) =>
    withJenkins(input, deps, context, async (client) => {
      const info = await client.get(`${jobPath(input.jobFullName)}/${buildSegment(input.build)}/api/json`, { tree: 'number,result,building' });
      if (info.status !== 200) return { ok: false, output: httpFailure(info, `read build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`) };
      const build = info.json as BuildState;
      const text = build.building
        ? `Would stop build #${build.number} of ${input.jobFullName}, which is running now.`
        : `Build #${build.number} of ${input.jobFullName} is ${build.result ? `already finished (result: ${build.result})` : 'not running'}; stopping it would change nothing.`;
      return { ok: true, value: { text, diff: '', changed: Boolean(build.building) } };
    }),
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const base = jobPath(input.jobFullName);
      const infoPath = `${base}/${buildSegment(input.build)}/api/json`;
      const what = `stop build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`;
      const info = await client.get(infoPath, { tree: 'number,result,building,url' });
      if (info.status !== 200) return httpFailure(info, what);
      const before = info.json as BuildState;
      if (!before.building) {
        return jenkinsResult(200, {
          message: `Build #${before.number} is ${before.result ? `already completed (result: ${before.result})` : 'not running'} and cannot be stopped.`,
          buildNumber: before.number,
          building: false,
          result: before.result ?? null,
          url: before.url,
        });
      }
      // Stop by number, not by permalink: "lastBuild" may point at a newer build by the time the POST lands.
      const stop = await client.post(`${base}/${before.number}/stop`);
      if (!isSuccess(stop.status)) return httpFailure(stop, what);
      let after: BuildState = before;
      for (let attempt = 0; attempt < 5 && after.building; attempt += 1) {
        await sleep(deps.settings.jenkinsPollIntervalMs ?? 1000, undefined, { signal: context.signal });
        const check = await client.get(`${base}/${before.number}/api/json`, { tree: 'number,result,building,url' });
        if (check.status !== 200) break;
        after = check.json as BuildState;
      }
      return jenkinsResult(200, {
        message: after.building ? `Stop requested for build #${before.number}; it is still stopping.` : `Stopped build #${before.number} (result: ${after.result ?? 'unknown'}).`,
        buildNumber: before.number,
        building: Boolean(after.building),
        result: after.result ?? null,
        url: before.url,
      });
    }),
});
