import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { getBuildJson, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetBuildChangesets = defineTool({
  name: 'jenkins_get_build_changesets',
  title: 'Jenkins: Get Build Change Sets',
  description: 'Get the commits that went into a Jenkins build (commit id, author, message, date, files).',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField, build: buildField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const fetched = await getBuildJson<{ number?: number; url?: string; changeSets?: Array<{ items?: unknown[] }> }>(client, input, 'number,url,changeSets[kind,items[commitId,author[fullName],msg,date,affectedPaths]]');
      if (!fetched.ok) return fetched.output;
      const build = fetched.build;
      const commits = (build.changeSets ?? []).reduce((sum, set) => sum + (set.items?.length ?? 0), 0);
      return jenkinsResult(200, { number: build.number, url: build.url, commits, changeSets: trimJenkinsJson(build.changeSets ?? []) });
    }),
});
