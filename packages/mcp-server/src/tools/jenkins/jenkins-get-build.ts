import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField, treeField } from './jenkins-inputs.ts';
import { getBuildJson, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetBuild = defineTool({
  name: 'jenkins_get_build',
  title: 'Jenkins: Get Build',
  description: 'Get one Jenkins build: number, result, whether it is still building, start time, duration and URL.',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    build: buildField,
    tree: treeField('number,displayName,description,result,building,timestamp,duration,estimatedDuration,url'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const fetched = await getBuildJson<unknown>(client, input, input.tree);
      if (!fetched.ok) return fetched.output;
      return jenkinsResult(200, trimJenkinsJson(fetched.build));
    }),
});
