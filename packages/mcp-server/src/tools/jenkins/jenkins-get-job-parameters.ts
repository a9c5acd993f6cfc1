import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

interface ParameterDefinition {
  name?: string;
  type?: string;
  description?: string;
  choices?: string[];
  defaultParameterValue?: { value?: unknown };
}

export const jenkinsGetJobParameters = defineTool({
  name: 'jenkins_get_job_parameters',
  title: 'Jenkins: Get Job Parameters',
  description: 'List the build parameters a Jenkins job accepts (name, type, default, choices), to call jenkins_trigger_build correctly.',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/api/json`, {
        tree: 'property[parameterDefinitions[name,type,description,choices,defaultParameterValue[value]]]',
      });
      if (response.status !== 200) return httpFailure(response, `get job ${input.jobFullName}`);
      const properties = (response.json as { property?: Array<{ parameterDefinitions?: ParameterDefinition[] }> })?.property ?? [];
      const parameters = properties
        .flatMap((property) => property.parameterDefinitions ?? [])
        .map((definition) => ({
          name: definition.name,
          type: definition.type?.replace(/ParameterDefinition$/, ''),
          default: definition.defaultParameterValue?.value,
          ...(definition.description ? { description: definition.description } : {}),
          ...(definition.choices ? { choices: definition.choices } : {}),
        }));
      return jenkinsResult(200, { jobFullName: input.jobFullName, parameterized: parameters.length > 0, parameters });
    }),
});
