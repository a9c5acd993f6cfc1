import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { z } from 'zod';
import { toolError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { buildSegment, jobPath } from './job-path.ts';
import { httpFailure, isSuccess, jenkinsResult, resolveBuildNumber, runJenkins, trimJenkinsJson, withJenkins } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsUpdateBuild = defineTool({
  name: 'jenkins_update_build',
  title: 'Jenkins: Update Build',
  description: 'Set the display name and/or description of a Jenkins build (e.g. to record why it was re-run).',
  toolset: 'jenkins',
  inputSchema: {
    api_url: apiUrlField,
    credentials_ref: credentialsRefField,
    jobFullName: jobFullNameField,
    build: buildField,
    displayName: z.string().min(1).max(200).optional().describe('New display name of the build'),
    description: z.string().max(10_000).optional().describe('New description of the build (plain text)'),
  },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  resolve: (input, deps: ToolDeps, context) => resolveBuildNumber(input, deps, context),
  describeCall: (input, deps: ToolDeps, context) =>
    withJenkins(input, deps, context, async (client) => {
      const response = await client.get(`${jobPath(input.jobFullName)}/${buildSegment(input.build)}/api/json`, { tree: 'number,displayName,description' });
      if (response.status !== 200) return { ok: false, output: httpFailure(response, `read build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`) };
      const live = response.json as { number?: number; displayName?: string | null; description?: string | null };
      const current = { displayName: live.displayName ?? null, description: live.description ?? null };
      const wanted = { displayName: input.displayName ?? current.displayName, description: input.description ?? current.description };
      const label = `${input.jobFullName} #${live.number}`;
      const diff = createTwoFilesPatch(`live/${label}`, `would-be/${label}`, stringify(current), stringify(wanted), undefined, undefined, { context: 3 }).replace(/^=+\n/m, '').trimEnd();
      const changed = diff.includes('\n@@');
      const summary = `Would update build #${live.number} of ${input.jobFullName}.`;
      return { ok: true, value: { text: changed ? `${summary}\n\n${diff}` : `${summary}\n\nNo changes: the build already has that display name and description.`, diff: changed ? diff : '', changed } };
    }),
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      if (input.displayName === undefined && input.description === undefined) {
        return toolError('Nothing to update: give displayName, description or both.', undefined, 'INVALID_INPUT');
      }
      const target = `${jobPath(input.jobFullName)}/${buildSegment(input.build)}`;
      const what = `update build ${input.build ?? 'lastBuild'} of ${input.jobFullName}`;
      if (input.description !== undefined) {
        const response = await client.post(`${target}/submitDescription`, { description: input.description });
        if (!isSuccess(response.status)) return httpFailure(response, what);
      }
      if (input.displayName !== undefined) {
        // Jenkins' build configSubmit takes the whole form as a `json` field and resets what it omits, so send the description too.
        const current = await client.get(`${target}/api/json`, { tree: 'description' });
        if (current.status !== 200) return httpFailure(current, what);
        const description = input.description ?? (current.json as { description?: string | null })?.description ?? '';
        const response = await client.post(`${target}/configSubmit`, {
          displayName: input.displayName,
          description,
          json: JSON.stringify({ displayName: input.displayName, description }),
        });
        if (!isSuccess(response.status)) return httpFailure(response, what);
      }
      const after = await client.get(`${target}/api/json`, { tree: 'number,displayName,description,url' });
      if (after.status !== 200) return httpFailure(after, what);
      return jenkinsResult(200, { updated: true, build: trimJenkinsJson(after.json) });
    }),
});
