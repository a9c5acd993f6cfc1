import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { apiUrlField, credentialsRefField, jobFullNameField } from './jenkins-inputs.ts';
import { jobPath } from './job-path.ts';
import { httpFailure, jenkinsResult, runJenkins, trimJenkinsJson } from './run-jenkins.ts';
import { withTextOutput } from '../output-shapes.ts';

export const jenkinsGetJobScm = defineTool({
  name: 'jenkins_get_job_scm',
  title: 'Jenkins: Get Job SCM',
  description: 'Get the source control configuration of a Jenkins job (repository URLs, branches, pipeline script path).',
  toolset: 'jenkins',
  inputSchema: { api_url: apiUrlField, credentials_ref: credentialsRefField, jobFullName: jobFullNameField },
  outputSchema: withTextOutput({ status: z.number().int().optional().describe('HTTP status Jenkins answered') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: (input, deps: ToolDeps, context) =>
    runJenkins(input, deps, context, async (client) => {
      const base = jobPath(input.jobFullName);
      const response = await client.get(`${base}/api/json`, { tree: 'scm[userRemoteConfigs[url,name,refspec],branches[name],scriptPath]' });
      if (response.status !== 200) return httpFailure(response, `get job ${input.jobFullName}`);
      const scm = (response.json as { scm?: Record<string, unknown> })?.scm;
      if (scm && Object.keys(trimJenkinsJson(scm) as object).length > 0) return jenkinsResult(200, { source: 'api', scm: trimJenkinsJson(scm) });
      // Pipeline jobs keep their SCM in config.xml only; return just that element, not the whole config.
      const config = await client.get(`${base}/config.xml`);
      if (config.status !== 200) return httpFailure(config, `read config.xml of ${input.jobFullName}`);
      const element = /<scm\b[\s\S]*?<\/scm>/.exec(config.text)?.[0] ?? /<definition\b[\s\S]*?<\/definition>/.exec(config.text)?.[0];
      if (!element) return jenkinsResult(200, { source: 'config.xml', scm: null, message: 'This job has no SCM configured.' });
      return jenkinsResult(200, { source: 'config.xml', scm: element });
    }),
});
