import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { toolError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { jobPath } from './job-path.ts';
import { httpFailure, isSuccess, jenkinsResult, runJenkins } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

/** How many times the queue item is polled before giving up (as the original tool). */
export const queuePollAttempts = 30;

export const jenkinsTriggerBuild = defineTool({
  name: 'jenkins_trigger_build',
  title: 'Jenkins: Trigger Build',
  description: 'Start a Jenkins build (with parameters for parameterized jobs) and wait until it leaves the queue; returns the build number and URL.',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    parameters: z
      .record(z.string().min(1).max(200), z.union([z.string().max(10_000), z.number(), z.boolean()]))
      .optional()
      .describe('Build parameters by name (see jenkins_get_job_parameters); omit for jobs without parameters'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const base = jobPath(input.jobFullName);
      const parameters = Object.fromEntries(Object.entries(input.parameters ?? {}).map(([key, value]) => [key, String(value)]));
      const hasParameters = Object.keys(parameters).length > 0;
      const response = await client.post(`${base}/${hasParameters ? 'buildWithParameters' : 'build'}`, parameters);
      if (!isSuccess(response.status)) {
        if (response.status === 400 && !hasParameters) return toolError(`Jenkins refused to build ${input.jobFullName} without parameters (HTTP 400).`, 'read its parameters with jenkins_get_job_parameters and pass them', 'INVALID_INPUT');
        return httpFailure(response, `trigger ${input.jobFullName}`);
      }
      if (!response.location || !/\/queue\/item\/\d+\/?$/.test(new URL(response.location).pathname)) {
        return jenkinsResult(response.status, { message: `Build of ${input.jobFullName} was requested, but Jenkins returned no queue item to follow.`, jobFullName: input.jobFullName });
      }
      const queueUrl = response.location.replace(/\/?$/, '/') + 'api/json';
      const interval = deps.settings.jenkinsPollIntervalMs ?? 1000;
      for (let attempt = 0; attempt < queuePollAttempts; attempt += 1) {
        const item = await client.getAbsolute(queueUrl);
        if (item.status === 200) {
          const body = item.json as { executable?: { number?: number; url?: string }; cancelled?: boolean; why?: string; id?: number };
          if (body?.executable?.number !== undefined) {
            return jenkinsResult(200, { buildNumber: body.executable.number, url: body.executable.url, queueId: body.id, jobFullName: input.jobFullName });
          }
          if (body?.cancelled) return toolError(`The queued build of ${input.jobFullName} was cancelled before it started.`, 'check the Jenkins queue and retry', 'FAILED');
        } else if (item.status !== 404) {
          return httpFailure(item, `follow the queued build of ${input.jobFullName}`);
        }
        await sleep(interval, undefined, { signal: context.signal });
      }
      return toolError(
        `The build of ${input.jobFullName} is still waiting in the Jenkins queue after ${queuePollAttempts} checks (queue item ${response.location}).`,
        'check later with jenkins_get_last_builds; executors may be busy or offline',
        'TIMEOUT',
      );
    }),
});
