/**
 * Which Jenkins build an executed call started (issue 21: Jenkins builds are followed to their result). Read from the
 * call's result as stored on its approval row (`resultSummary`, the first 500 characters of the tool's text), so the
 * verification right after the call and one resumed after a restart follow the same build. The tool answers
 * `{"status": …, "body": {"buildNumber": …, "url": …, "queueId": …}}`; a text cut at 500 characters still names the
 * build, which comes first, so the numbers are also read without parsing the whole JSON.
 */
import { isJenkinsTool, injectJenkinsArgs, type JenkinsIntegration } from '../../tools/jenkins-args.ts';
import type { JenkinsCallCredentials } from '../../../platform/ports/tool-gateway.ts';
import type { VerifyTarget } from './verify-executed.ts';

export interface JenkinsBuildRef {
  buildNumber?: number;
  queueId?: number;
  url?: string;
}

const numberAfter = (text: string, key: string): number | undefined => {
  const match = new RegExp(`"${key}"\\s*:\\s*(\\d{1,12})\\b`).exec(text);
  return match ? Number(match[1]) : undefined;
};

export function jenkinsBuildOf(resultText: string | undefined): JenkinsBuildRef | undefined {
  if (!resultText) return undefined;
  let body: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(resultText) as { body?: unknown };
    if (parsed && typeof parsed.body === 'object' && parsed.body !== null) body = parsed.body as Record<string, unknown>;
  } catch {
    // cut at 500 characters: read the numbers below
  }
  const buildNumber = typeof body?.['buildNumber'] === 'number' ? (body['buildNumber'] as number) : numberAfter(resultText, 'buildNumber');
  const queueId = typeof body?.['queueId'] === 'number' ? (body['queueId'] as number) : numberAfter(resultText, 'queueId');
  const url = typeof body?.['url'] === 'string' ? (body['url'] as string) : undefined;
  if (buildNumber === undefined && queueId === undefined) return undefined;
  return { ...(buildNumber !== undefined ? { buildNumber } : {}), ...(queueId !== undefined ? { queueId } : {}), ...(url ? { url } : {}) };
}

/**
 * What verify_change needs for a Jenkins call: the integration's URL and reference in its arguments, its credentials
 * beside them (never in them: they are not stored or shown), and the build from the stored result. undefined for
 * other tools; `{ missing }` when no Jenkins integration is configured any more (the build cannot be followed).
 */
export async function jenkinsVerifyInput(
  input: { tool: string; args: Record<string, unknown>; resultSummary?: string },
  integrationOf: (() => Promise<JenkinsIntegration | undefined>) | undefined,
): Promise<{ args: Record<string, unknown>; result?: JenkinsBuildRef; jenkinsCredentials?: JenkinsCallCredentials } | { missing: true } | undefined> {
  if (!isJenkinsTool(input.tool)) return undefined;
  const integration = await integrationOf?.().catch(() => undefined);
  if (!integration) return { missing: true };
  const result = jenkinsBuildOf(input.resultSummary);
  return { args: injectJenkinsArgs(input.args, integration), ...(result ? { result } : {}), ...(integration.credentials ? { jenkinsCredentials: integration.credentials } : {}) };
}

/** A Jenkins call's part of the verification target: the injected arguments, its build, or why it cannot be followed. */
export function jenkinsTarget(jenkins: Awaited<ReturnType<typeof jenkinsVerifyInput>>): Partial<VerifyTarget> {
  if (!jenkins) return {};
  if ('missing' in jenkins) return { unverifiable: 'The build cannot be followed: no Jenkins integration is configured (or it is disabled).' };
  return { args: jenkins.args, ...(jenkins.result ? { result: { ...jenkins.result } } : {}), ...(jenkins.jenkinsCredentials ? { jenkinsCredentials: jenkins.jenkinsCredentials } : {}) };
}

