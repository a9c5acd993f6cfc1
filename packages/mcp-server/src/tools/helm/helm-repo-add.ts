import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';
import { textOutputShape } from '../output-shapes.ts';

export const helmRepoAdd = defineTool({
  name: 'helm_repo_add',
  title: 'Add Helm Repository',
  description: 'Add a chart repository (http or https URL) under a local name, so its charts can be used as "name/chart".',
  toolset: 'helm',
  inputSchema: {
    name: z.string().min(1).max(63).describe('Local name for the repository, e.g. "bitnami"'),
    url: z.string().min(1).max(2048).describe('Repository URL (http or https, without credentials), e.g. https://charts.bitnami.com/bitnami'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    assertSafeName('name', input.name);
    const url = assertRepositoryUrl(input.url);
    const outcome = await runHelm(deps, { args: ['repo', 'add', input.name, url], signal: context.signal });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  },
});

/**
 * Why no credentials: a URL with user:password would be stored in repositories.yaml and echoed back by
 * helm, i.e. handed to the model; private repositories are configured by an operator, not by the agent.
 */
export function assertRepositoryUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolInputError(`url "${raw}" is not a valid URL. Give a full http(s) URL such as https://charts.example.com.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ToolInputError(`url must use http or https (got ${url.protocol}). For OCI registries, pass the oci:// reference as the chart directly.`);
  }
  if (url.username || url.password) {
    throw new ToolInputError('url must not contain credentials. Ask an operator to configure private repositories on the server.');
  }
  return url.toString().replace(/\/$/, '');
}
