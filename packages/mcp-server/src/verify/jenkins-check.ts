/**
 * Jenkins builds are followed to their result (issue 21): after an approved jenkins_trigger_build, the build it started
 * (from the call's result: the build number, or the queue item it is still waiting in) is read until it finishes or
 * the verification's deadline passes. SUCCESS → verified; FAILURE / UNSTABLE / ABORTED / NOT_BUILT → regressed with the
 * build's URL, result and the last console lines; still running at the deadline → timed_out. After jenkins_stop_build
 * the stopped build is followed until it is no longer running.
 *
 * Why polling here, when the cluster checks only watch: Jenkins has no watch or event API for a build. The poll is
 * bounded (the deadline), backs off (doubling up to maxPollMs), and only runs while a verification is under way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolDeps } from '../deps/deps.ts';
import type { ToolCallContext } from '../contract/tool-definition.ts';
import type { JenkinsClient } from '@skyflo/connectors/jenkins';
import { jobPath } from '../tools/jenkins/job-path.ts';
import { jenkinsClientFor } from '../tools/jenkins/run-jenkins.ts';
import type { Verdict } from './check-types.ts';

/** The longest wait between two reads of a running build. */
const maxPollMs = 10_000;
/** How many console lines a failed build's evidence quotes (the end of the log says why it failed). */
const consoleLines = 30;

interface BuildState {
  number?: number;
  result?: string | null;
  building?: boolean;
  url?: string;
}

type Args = Record<string, any>;

/** The build the call's result names: its number, or the queue item to follow to one. */
export function buildOfResult(result: Record<string, unknown> | undefined): { number?: number; queueId?: number; url?: string } {
  // the tool's JSON is {status, body}; the engine may hand over either
  const body = result && typeof result['body'] === 'object' && result['body'] !== null ? (result['body'] as Record<string, unknown>) : result;
  const number = body?.['buildNumber'];
  const queueId = body?.['queueId'];
  return {
    ...(typeof number === 'number' && Number.isInteger(number) && number > 0 ? { number } : {}),
    ...(typeof queueId === 'number' && Number.isInteger(queueId) && queueId > 0 ? { queueId } : {}),
    ...(typeof body?.['url'] === 'string' ? { url: body['url'] as string } : {}),
  };
}

interface Follower {
  client: JenkinsClient;
  deadline: number;
  signal: AbortSignal;
  firstPollMs: number;
  progress?: (message: string) => void;
}

/** Waits (bounded, with backoff) until `read` returns a value; undefined at the deadline. */
async function pollUntil<T>(follower: Follower, read: () => Promise<T | undefined>): Promise<T | undefined> {
  let wait = follower.firstPollMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    const left = follower.deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(wait, left), undefined, { signal: follower.signal });
    wait = Math.min(maxPollMs, wait * 2);
  }
}

class JenkinsReadError extends Error {}

async function readJson<T>(client: JenkinsClient, path: string, query?: Record<string, string>): Promise<T | undefined> {
  const response = await client.get(path, query);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new JenkinsReadError(`Jenkins answered HTTP ${response.status} for ${path}`);
  return response.json as T;
}

/** The queue item's build number once it left the queue; 'cancelled' when it never will. */
async function followQueue(follower: Follower, queueId: number): Promise<number | 'cancelled' | undefined> {
  return pollUntil(follower, async () => {
    const item = await readJson<{ executable?: { number?: number }; cancelled?: boolean }>(follower.client, `queue/item/${queueId}/api/json`);
    if (item?.cancelled) return 'cancelled' as const;
    return typeof item?.executable?.number === 'number' ? item.executable.number : undefined;
  });
}

async function consoleTail(client: JenkinsClient, buildPath: string): Promise<string> {
  try {
    const response = await client.get(`${buildPath}/consoleText`);
    if (response.status !== 200) return `(console not readable: HTTP ${response.status})`;
    return response.text.replace(/\r/g, '').trimEnd().split('\n').slice(-consoleLines).join('\n');
  } catch (error) {
    return `(console not readable: ${(error as Error).message})`;
  }
}

const failedResults = new Set(['FAILURE', 'UNSTABLE', 'ABORTED', 'NOT_BUILT']);

/**
 * The verdict for an executed Jenkins call. `result` is the call's own result (which build it started or stopped);
 * `deadline` the verification's bound (ms since the epoch).
 */
export async function verifyJenkinsCall(options: {
  tool: string;
  args: Args;
  result?: Record<string, unknown>;
  deps: ToolDeps;
  context: ToolCallContext;
  deadline: number;
  progress?: (message: string) => void;
}): Promise<Verdict> {
  const { tool, args, deps, context } = options;
  if (tool !== 'jenkins_trigger_build' && tool !== 'jenkins_stop_build') {
    return { outcome: 'not_applicable', summary: `${tool} starts no build to follow; read the build with jenkins_get_build`, evidence: [] };
  }
  const named = buildOfResult(options.result);
  if (named.number === undefined && named.queueId === undefined) {
    return { outcome: 'not_applicable', summary: `the result of ${tool} names no build to follow (Jenkins returned no queue item)`, evidence: [] };
  }
  const opened = await jenkinsClientFor(args as { api_url?: string; credentials_ref: string }, deps, context);
  if (!opened.ok) return { outcome: 'timed_out', summary: `could not reach Jenkins to follow the build: ${opened.output.text.split('\n')[0]}`, evidence: [] };
  const follower: Follower = { client: opened.client, deadline: options.deadline, signal: context.signal, firstPollMs: Math.max(1, deps.settings.jenkinsPollIntervalMs ?? 1000), ...(options.progress ? { progress: options.progress } : {}) };
  const job = String(args['jobFullName']);
  const base = jobPath(job);
  try {
    let number = named.number;
    if (number === undefined) {
      const left = await followQueue(follower, named.queueId!);
      if (left === 'cancelled') return { outcome: 'regressed', summary: `the queued build of ${job} was cancelled before it started`, evidence: [{ read: `GET queue/item/${named.queueId}`, text: 'cancelled: true' }] };
      if (left === undefined) return { outcome: 'timed_out', summary: `the build of ${job} was still waiting in the Jenkins queue at the deadline (queue item ${named.queueId})`, evidence: [] };
      number = left;
    }
    const buildPath = `${base}/${number}`;
    const read = `GET ${buildPath}/api/json`;
    let last: BuildState | undefined;
    const finished = await pollUntil(follower, async () => {
      last = await readJson<BuildState>(follower.client, `${buildPath}/api/json`, { tree: 'number,result,building,url' });
      if (!last) throw new JenkinsReadError(`build #${number} of ${job} does not exist (HTTP 404)`);
      follower.progress?.(last.building ? `build #${number} of ${job} is running` : `build #${number} of ${job}: ${last.result ?? 'no result'}`);
      return last.building === true || (tool === 'jenkins_trigger_build' && !last.result) ? undefined : last;
    });
    const url = last?.url ?? named.url ?? `${opened.client.baseUrl.href.replace(/\/$/, '')}${buildPath}/`;
    if (!finished) {
      return { outcome: 'timed_out', summary: `build #${number} of ${job} was still running at the deadline`, evidence: [{ read, text: `url: ${url}\nbuilding: true` }] };
    }
    const result = finished.result ?? 'none';
    const evidence = [{ read, text: `url: ${url}\nresult: ${result}\nbuilding: false` }];
    if (tool === 'jenkins_stop_build') {
      return { outcome: 'verified', summary: `build #${number} of ${job} is stopped (result ${result})`, evidence };
    }
    if (result === 'SUCCESS') return { outcome: 'verified', summary: `build #${number} of ${job} succeeded`, evidence };
    if (failedResults.has(result)) {
      evidence.push({ read: `GET ${buildPath}/consoleText (last ${consoleLines} lines)`, text: await consoleTail(follower.client, buildPath) });
      return { outcome: 'regressed', summary: `build #${number} of ${job} ended ${result}`, evidence };
    }
    return { outcome: 'regressed', summary: `build #${number} of ${job} ended with an unknown result ${result}`, evidence };
  } catch (error) {
    context.signal.throwIfAborted();
    const message = error instanceof JenkinsReadError ? error.message : `Jenkins is unreachable (${(error as Error).message})`;
    return { outcome: 'timed_out', summary: `could not follow the build of ${job}: ${message}`, evidence: [] };
  }
}
