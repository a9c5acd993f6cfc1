import { z } from 'zod';
import { applyOutputBudget } from '../../budgets/apply-output-budget.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { buildSegment, jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetBuildLog = defineTool({
  name: 'jenkins_get_build_log',
  title: 'Jenkins: Get Build Log',
  description:
    'Get the console log of a Jenkins build from a byte offset (progressive text). Long logs are tailed to the newest lines; nextStart and moreData say how to continue a running build.',
  toolset: 'jenkins',
  tags: ['logs'],
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    build: buildField,
    start: z.number().int().min(0).default(0).describe('Byte offset to read the log from (use nextStart of the previous call to follow a running build)'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/${buildSegment(input.build)}/logText/progressiveText`, { start: input.start });
      if (response.status !== 200) return httpFailure(response, `get the log of build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`);
      const nextStart = Number(response.headers.get('x-text-size') ?? input.start + Buffer.byteLength(response.text));
      const moreData = response.headers.get('x-more-data') === 'true';
      // Leave room for the JSON envelope so the tool runner never has to cut the JSON itself.
      const log = applyOutputBudget(response.text, {
        budgetBytes: Math.max(1024, deps.settings.outputBudgetBytes - 1024),
        kind: 'log',
        hint: `pass start=${nextStart} later to read only new output`,
      });
      return jenkinsResult(response.status, { nextStart, moreData, log });
    }),
});
