import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField, jobFullNameField, treeField } from './jenkins-inputs.ts';
import { jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetJob = defineTool({
  name: 'jenkins_get_job',
  title: 'Jenkins: Get Job',
  description: 'Get a Jenkins job: name, URL, status color, whether it is buildable or queued, and its last builds.',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    tree: treeField('name,fullName,url,color,buildable,inQueue,lastBuild[number,url],lastSuccessfulBuild[number],lastFailedBuild[number]'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/api/json`, { tree: input.tree });
      if (response.status !== 200) return httpFailure(response, `get job ${input.jobFullName}`);
      return jenkinsResult(response.status, trimJenkinsJson(response.json));
    }),
});
