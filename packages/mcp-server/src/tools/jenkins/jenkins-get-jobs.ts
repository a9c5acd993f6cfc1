import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField } from './jenkins-inputs.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetJobs = defineTool({
  name: 'jenkins_get_jobs',
  title: 'Jenkins: List Jobs',
  description: 'List the top-level Jenkins jobs and folders (name, URL, status color), one page at a time.',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    start: z.number().int().min(0).default(0).describe('Index of the first job to return (for paging)'),
    limit: z.number().int().min(1).max(100).default(50).describe('Number of jobs to return (1-100, default 50)'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      // Jenkins' {M,N} range makes the server do the paging, so huge instances stay cheap.
      const response = await client.get('api/json', { tree: `jobs[name,fullName,url,color]{${input.start},${input.start + input.limit}}` });
      if (response.status !== 200) return httpFailure(response, 'list jobs');
      const jobs = ((response.json as { jobs?: unknown[] })?.jobs ?? []).slice(0, input.limit);
      const body: Record<string, unknown> = { start: input.start, count: jobs.length, jobs: trimJenkinsJson(jobs) };
      if (jobs.length === input.limit) body.next = `call again with start=${input.start + input.limit} for more`;
      return jenkinsResult(response.status, body);
    }),
});
