import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { buildSegment, jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';

export const jenkinsGetBuildChangesets = defineTool({
  name: 'jenkins_get_build_changesets',
  title: 'Jenkins: Get Build Change Sets',
  description: 'Get the commits that went into a Jenkins build (commit id, author, message, date, files).',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField, build: buildField },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/${buildSegment(input.build)}/api/json`, {
        tree: 'number,url,changeSets[kind,items[commitId,author[fullName],msg,date,affectedPaths]]',
      });
      if (response.status !== 200) return httpFailure(response, `get build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`);
      const build = response.json as { number?: number; url?: string; changeSets?: Array<{ items?: unknown[] }> };
      const commits = (build.changeSets ?? []).reduce((sum, set) => sum + (set.items?.length ?? 0), 0);
      return jenkinsResult(200, { number: build.number, url: build.url, commits, changeSets: trimJenkinsJson(build.changeSets ?? []) });
    }),
});
