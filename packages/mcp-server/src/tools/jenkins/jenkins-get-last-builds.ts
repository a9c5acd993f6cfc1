import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField, jobFullNameField, treeField } from './jenkins-inputs.ts';
import { jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetLastBuilds = defineTool({
  name: 'jenkins_get_last_builds',
  title: 'Jenkins: Get Builds',
  description: 'Get the most recent builds of a Jenkins job, newest first, with result and duration (e.g. to spot when it started failing).',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    count: z.number().int().min(1).max(100).default(10).describe('Number of recent builds to return (1-100, default 10)'),
    tree: treeField('number,result,building,timestamp,duration,url'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/api/json`, { tree: `builds[${input.tree}]{0,${input.count}}` });
      if (response.status !== 200) return httpFailure(response, `list builds of ${input.jobFullName}`);
      const builds = [...((response.json as { builds?: Array<{ number?: number }> })?.builds ?? [])]
        .sort((a, b) => (b.number ?? 0) - (a.number ?? 0))
        .slice(0, input.count);
      return jenkinsResult(response.status, { jobFullName: input.jobFullName, totalBuilds: builds.length, builds: trimJenkinsJson(builds) });
    }),
});
