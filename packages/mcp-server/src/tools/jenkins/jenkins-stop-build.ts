import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { buildSegment, jobPath } from './job-path.ts';
import { httpFailure, isSuccess, jenkinsResult, runJenkins } from './run-jenkins.ts';

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
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
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
