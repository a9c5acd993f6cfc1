import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField } from './jenkins-inputs.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsWhoami = defineTool({
  name: 'jenkins_whoami',
  title: 'Jenkins: Who Am I',
  description: 'Show which Jenkins user the integration authenticates as (to check the credentials work and what it may do).',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get('me/api/json', { tree: 'id,fullName,description,absoluteUrl' });
      if (response.status !== 200) return httpFailure(response, 'identify the Jenkins user');
      return jenkinsResult(200, trimJenkinsJson(response.json));
    }),
});
