import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, buildField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { getBuildJson, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetBuildScm = defineTool({
  name: 'jenkins_get_build_scm',
  title: 'Jenkins: Get Build SCM',
  description: 'Get the source revision a Jenkins build ran: repository URLs, commit SHA and branch.',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField, build: buildField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const fetched = await getBuildJson<{ number?: number; url?: string; actions?: Array<Record<string, unknown>> }>(client, input, 'number,url,actions[remoteUrls,scmName,lastBuiltRevision[SHA1,branch[SHA1,name]]]');
      if (!fetched.ok) return fetched.output;
      const build = fetched.build;
      const scm = (build.actions ?? []).filter((action) => action && (action.lastBuiltRevision || action.remoteUrls));
      return jenkinsResult(200, { number: build.number, url: build.url, scm: trimJenkinsJson(scm), ...(scm.length === 0 ? { message: 'No SCM revision recorded for this build.' } : {}) });
    }),
});
