import type { BuildableJobSpec, ChangeSpec, FolderSpec, JobResult, JobSpec, ParameterSpec, ParsedScenario, SeededBuildSpec } from '../scenario/scenario-schema.ts';

export interface Folder {
  kind: 'folder';
  name: string;
  fullName: string;
  displayName: string | undefined;
  description: string;
  parent: Folder | undefined;
  children: Map<string, JobNode>;
}

export interface Job {
  kind: 'pipeline' | 'freestyle';
  name: string;
  fullName: string;
  displayName: string | undefined;
  description: string;
  parent: Folder | undefined;
  spec: BuildableJobSpec;
  /** Oldest first. */
  builds: Build[];
  nextBuildNumber: number;
  startedBuilds: number;
  queueItem: QueueItem | undefined;
}

export type JobNode = Folder | Job;

export interface ParameterValue {
  name: string;
  type: ParameterSpec['type'];
  value: string | boolean;
}

export interface Build {
  job: Job;
  number: number;
  queueId: number;
  result: JobResult | null;
  building: boolean;
  timestamp: number;
  /** Planned run time; `duration` is 0 while building, like Jenkins. */
  plannedDurationMs: number;
  duration: number;
  displayName: string | undefined;
  description: string | null;
  parameters: ParameterValue[];
  startedBy: { id: string; fullName: string };
  log: string;
  changeSet: ChangeSpec[];
  revision: string;
}

export interface QueueItem {
  id: number;
  job: Job;
  parameters: ParameterValue[];
  inQueueSince: number;
  startedBy: { id: string; fullName: string };
  state: 'waiting' | 'left' | 'cancelled';
  build: Build | undefined;
}

export interface JenkinsStateOptions {
  scenario: ParsedScenario;
  /** Default run time of new builds. */
  buildDurationMs: number;
  /** Time a new item waits in the queue before its build starts (the "quiet period"). */
  queueDelayMs: number;
}

/** Thrown for a request Jenkins would refuse with 400 (bad parameters and similar). */
export class BadRequestError extends Error {}

export type JenkinsState = ReturnType<typeof createJenkinsState>;

/** The simulated controller: folders, jobs, builds and the queue, with timers that close() can cancel. */
export function createJenkinsState(options: JenkinsStateOptions) {
  const root: Folder = { kind: 'folder', name: '', fullName: '', displayName: undefined, description: '', parent: undefined, children: new Map() };
  const queue = new Map<number, QueueItem>();
  const timers = new Set<NodeJS.Timeout>();
  let nextQueueId = 1;
  const users = options.scenario.users;
  const defaultUser = users[0] ? { id: users[0].id, fullName: users[0].fullName ?? users[0].id } : { id: 'admin', fullName: 'admin' };

  const schedule = (delayMs: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };

  const addJob = (spec: JobSpec, parent: Folder) => {
    const fullName = parent.fullName === '' ? spec.name : `${parent.fullName}/${spec.name}`;
    if (spec.type === 'folder') {
      const folder: Folder = { kind: 'folder', name: spec.name, fullName, displayName: spec.displayName, description: spec.description, parent, children: new Map() };
      parent.children.set(spec.name, folder);
      for (const child of (spec as FolderSpec).jobs) addJob(child, folder);
      return;
    }
    const job: Job = {
      kind: spec.type,
      name: spec.name,
      fullName,
      displayName: spec.displayName,
      description: spec.description,
      parent,
      spec,
      builds: [],
      nextBuildNumber: 1,
      startedBuilds: 0,
      queueItem: undefined,
    };
    parent.children.set(spec.name, job);
    seedBuilds(job, spec.builds);
  };

  const userById = (id: string | undefined) => {
    const user = users.find((candidate) => candidate.id === id);
    return user ? { id: user.id, fullName: user.fullName ?? user.id } : id ? { id, fullName: id } : defaultUser;
  };

  const seedBuilds = (job: Job, seeds: SeededBuildSpec[]) => {
    const now = Date.now();
    seeds.forEach((seed, index) => {
      const number = seed.number ?? job.nextBuildNumber;
      const timestamp = seed.timestamp ?? now - (seeds.length - index) * 3_600_000;
      const parameters = Object.entries(seed.parameters).map(([name, value]) => ({
        name,
        type: job.spec.parameters.find((parameter) => parameter.name === name)?.type ?? ('string' as const),
        value,
      }));
      const startedBy = userById(seed.startedBy);
      const build: Build = {
        job,
        number,
        queueId: nextQueueId++,
        result: seed.building ? null : seed.result,
        building: seed.building,
        timestamp,
        plannedDurationMs: seed.durationMs,
        duration: seed.building ? 0 : seed.durationMs,
        displayName: seed.displayName,
        description: seed.description ?? null,
        parameters,
        startedBy,
        log: seed.log ?? (seed.building ? logHeader(job, startedBy) : logHeader(job, startedBy) + `Finished: ${seed.result}\n`),
        changeSet: seed.changeSet,
        revision: seed.revision ?? fakeSha(`${job.fullName}#${number}`),
      };
      job.builds.push(build);
      job.builds.sort((a, b) => a.number - b.number);
      job.nextBuildNumber = Math.max(job.nextBuildNumber, number + 1);
    });
  };

  for (const spec of options.scenario.jobs) addJob(spec, root);

  /** Applies defaults and converts values like Jenkins' parameter definitions do. */
  const resolveParameters = (job: Job, given: Record<string, string>): ParameterValue[] =>
    job.spec.parameters.map((definition) => {
      const raw = given[definition.name];
      if (definition.type === 'boolean') {
        return { name: definition.name, type: definition.type, value: raw === undefined ? definition.default === true || definition.default === 'true' : raw === 'true' || raw === 'on' };
      }
      if (definition.type === 'choice') {
        const choices = definition.choices ?? [];
        const value = raw ?? (typeof definition.default === 'string' ? definition.default : choices[0]);
        if (!choices.includes(value)) throw new BadRequestError(`Illegal choice for parameter ${definition.name}: ${value}`);
        return { name: definition.name, type: definition.type, value };
      }
      return { name: definition.name, type: definition.type, value: raw ?? (definition.default === undefined ? '' : String(definition.default)) };
    });

  const enqueue = (job: Job, parameters: ParameterValue[], userId: string): QueueItem => {
    // Jenkins folds a second identical request into the item already waiting.
    if (job.queueItem && sameParameters(job.queueItem.parameters, parameters)) return job.queueItem;
    const item: QueueItem = { id: nextQueueId++, job, parameters, inQueueSince: Date.now(), startedBy: userById(userId), state: 'waiting', build: undefined };
    queue.set(item.id, item);
    job.queueItem = item;
    schedule(options.queueDelayMs, () => startBuild(item));
    return item;
  };

  const startBuild = (item: QueueItem) => {
    if (item.state !== 'waiting') return;
    const job = item.job;
    const plannedDurationMs = job.spec.buildDurationMs ?? options.buildDurationMs;
    const result = job.spec.results[Math.min(job.startedBuilds, job.spec.results.length - 1)] ?? 'SUCCESS';
    const changeSet = job.spec.changeSets.length === 0 ? [] : job.spec.changeSets[Math.min(job.startedBuilds, job.spec.changeSets.length - 1)];
    job.startedBuilds += 1;
    const number = job.nextBuildNumber++;
    const build: Build = {
      job,
      number,
      queueId: item.id,
      result: null,
      building: true,
      timestamp: Date.now(),
      plannedDurationMs,
      duration: 0,
      displayName: undefined,
      description: null,
      parameters: item.parameters,
      startedBy: item.startedBy,
      log: logHeader(job, item.startedBy),
      changeSet,
      revision: fakeSha(`${job.fullName}#${number}`),
    };
    job.builds.push(build);
    item.state = 'left';
    item.build = build;
    if (job.queueItem === item) job.queueItem = undefined;

    const lines = (job.spec.logLines ?? defaultLogLines(job, result)).map((line) => substitute(line, build.parameters));
    lines.forEach((line, index) => {
      schedule(Math.floor((plannedDurationMs * (index + 1)) / (lines.length + 1)), () => {
        if (build.building) build.log += `${line}\n`;
      });
    });
    schedule(plannedDurationMs, () => finishBuild(build, result));
  };

  const finishBuild = (build: Build, result: JobResult) => {
    if (!build.building) return;
    build.building = false;
    build.result = result;
    build.duration = Math.max(1, Date.now() - build.timestamp);
    build.log += `Finished: ${result}\n`;
  };

  const stopBuild = (build: Build, userId: string) => {
    if (!build.building) return;
    build.log += `Aborted by ${userById(userId).fullName}\n`;
    finishBuild(build, 'ABORTED');
  };

  const cancelQueueItem = (item: QueueItem) => {
    if (item.state !== 'waiting') return;
    item.state = 'cancelled';
    if (item.job.queueItem === item) item.job.queueItem = undefined;
  };

  const findJob = (names: string[]): JobNode | undefined => {
    let node: JobNode = root;
    for (const name of names) {
      if (node.kind !== 'folder') return undefined;
      const child: JobNode | undefined = node.children.get(name);
      if (!child) return undefined;
      node = child;
    }
    return node;
  };

  return {
    root,
    queue,
    users,
    version: options.scenario.version,
    findJob,
    resolveParameters,
    enqueue,
    stopBuild,
    cancelQueueItem,
    dispose() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

function sameParameters(a: ParameterValue[], b: ParameterValue[]): boolean {
  return a.length === b.length && a.every((parameter, index) => parameter.name === b[index].name && parameter.value === b[index].value);
}

function logHeader(job: Job, user: { fullName: string }): string {
  const lines = [`Started by user ${user.fullName}`];
  if (job.spec.scm) lines.push(`Checking out git ${job.spec.scm.url} into ${job.fullName} workspace`);
  if (job.kind === 'pipeline') lines.push('[Pipeline] Start of Pipeline');
  return lines.map((line) => `${line}\n`).join('');
}

function defaultLogLines(job: Job, result: JobResult): string[] {
  const lines = job.kind === 'pipeline' ? ['[Pipeline] stage (Build)', '+ make build', '[Pipeline] stage (Test)', '+ make test'] : ['+ make build', '+ make test'];
  if (result === 'FAILURE') lines.push('ERROR: script returned exit code 2');
  if (result === 'UNSTABLE') lines.push('WARNING: 3 tests failed; marking build as UNSTABLE');
  if (job.kind === 'pipeline') lines.push('[Pipeline] End of Pipeline');
  return lines;
}

function substitute(line: string, parameters: ParameterValue[]): string {
  return line.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const parameter = parameters.find((candidate) => candidate.name === name);
    if (!parameter) return whole;
    return parameter.type === 'password' ? '****' : String(parameter.value);
  });
}

/** A stable 40-hex string so repeated runs print the same revisions. */
function fakeSha(seed: string): string {
  let hash = 2166136261;
  let hex = '';
  for (let round = 0; hex.length < 40; round += 1) {
    for (const char of `${seed}:${round}`) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
    hex += hash.toString(16).padStart(8, '0');
  }
  return hex.slice(0, 40);
}
