import type { Build, Folder, Job, JobNode, ParameterValue, QueueItem } from '../model/jenkins-state.ts';
import { withSummary } from './tree-filter.ts';

/** Builds Jenkins-shaped JSON (`_class` names and field sets as Jenkins 2.4xx exports them). */
export function createRepresenter(rootUrl: string) {
  const jobUrl = (node: JobNode): string =>
    rootUrl + node.fullName.split('/').filter(Boolean).map((name) => `job/${encodeURIComponent(name)}/`).join('');
  const buildUrl = (build: Build) => `${jobUrl(build.job)}${build.number}/`;
  const jobClass = (node: JobNode) =>
    node.kind === 'folder' ? 'com.cloudbees.hudson.plugins.folder.Folder' : node.kind === 'pipeline' ? 'org.jenkinsci.plugins.workflow.job.WorkflowJob' : 'hudson.model.FreeStyleProject';
  const buildClass = (job: Job) => (job.kind === 'pipeline' ? 'org.jenkinsci.plugins.workflow.job.WorkflowRun' : 'hudson.model.FreeStyleBuild');

  const color = (job: Job): string => {
    if (job.spec.disabled) return 'disabled';
    const last = job.builds.at(-1);
    const completed = [...job.builds].reverse().find((build) => !build.building);
    const base = !completed ? 'notbuilt' : { SUCCESS: 'blue', FAILURE: 'red', UNSTABLE: 'yellow', ABORTED: 'aborted' }[completed.result ?? 'SUCCESS'];
    return last?.building ? `${base}_anime` : base;
  };

  const parameterValueJson = (parameter: ParameterValue) => {
    const valueClass = { string: 'StringParameterValue', text: 'TextParameterValue', boolean: 'BooleanParameterValue', choice: 'StringParameterValue', password: 'PasswordParameterValue' }[parameter.type];
    // Jenkins never exports password values.
    return parameter.type === 'password'
      ? { _class: `hudson.model.${valueClass}`, name: parameter.name }
      : { _class: `hudson.model.${valueClass}`, name: parameter.name, value: parameter.value };
  };

  const buildJson = (build: Build) => {
    const job = build.job;
    const actions: unknown[] = [];
    if (build.parameters.length > 0) actions.push({ _class: 'hudson.model.ParametersAction', parameters: build.parameters.map(parameterValueJson) });
    actions.push({
      _class: 'hudson.model.CauseAction',
      causes: [{ _class: 'hudson.model.Cause$UserIdCause', shortDescription: `Started by user ${build.startedBy.fullName}`, userId: build.startedBy.id, userName: build.startedBy.fullName }],
    });
    if (job.spec.scm) {
      actions.push({
        _class: 'hudson.plugins.git.util.BuildData',
        buildsByBranchName: { [`refs/remotes/origin/${job.spec.scm.branch}`]: { _class: 'hudson.plugins.git.util.Build', buildNumber: build.number, buildResult: null, marked: { SHA1: build.revision }, revision: { SHA1: build.revision } } },
        lastBuiltRevision: { SHA1: build.revision, branch: [{ SHA1: build.revision, name: `refs/remotes/origin/${job.spec.scm.branch}` }] },
        remoteUrls: [job.spec.scm.url],
        scmName: '',
      });
    }
    const changeSetJson = {
      _class: 'hudson.plugins.git.GitChangeSetList',
      items: build.changeSet.map((change) => {
        const timestamp = change.timestamp ?? build.timestamp;
        return {
          _class: 'hudson.plugins.git.GitChangeSet',
          affectedPaths: change.affectedPaths,
          commitId: change.commitId,
          timestamp,
          author: { absoluteUrl: `${rootUrl}user/${encodeURIComponent(change.author.toLowerCase().replace(/\s+/g, '.'))}`, fullName: change.author },
          authorEmail: change.authorEmail ?? `${change.author.toLowerCase().replace(/\s+/g, '.')}@example.com`,
          comment: `${change.msg}\n`,
          date: new Date(timestamp).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000'),
          id: change.commitId,
          msg: change.msg,
          paths: change.affectedPaths.map((file) => ({ editType: 'edit', file })),
        };
      }),
      kind: 'git',
    };
    const index = job.builds.indexOf(build);
    const neighbour = (other: Build | undefined) => (other ? { number: other.number, url: buildUrl(other) } : null);
    const json: Record<string, unknown> = {
      _class: buildClass(job),
      actions,
      artifacts: [],
      building: build.building,
      description: build.description,
      displayName: build.displayName ?? `#${build.number}`,
      duration: build.duration,
      estimatedDuration: build.plannedDurationMs,
      executor: build.building ? { _class: 'hudson.model.OneOffExecutor' } : null,
      fullDisplayName: `${job.fullName.split('/').join(' » ')} ${build.displayName ?? `#${build.number}`}`,
      id: String(build.number),
      keepLog: false,
      number: build.number,
      queueId: build.queueId,
      result: build.result,
      timestamp: build.timestamp,
      url: buildUrl(build),
    };
    // Pipelines export changeSets (one list per checkout); freestyle builds export a single changeSet.
    if (job.kind === 'pipeline') {
      json.changeSets = build.changeSet.length > 0 ? [changeSetJson] : [];
      json.inProgress = build.building;
    } else {
      json.builtOn = '';
      json.changeSet = build.changeSet.length > 0 ? changeSetJson : { _class: 'hudson.scm.EmptyChangeLogSet', items: [], kind: null };
    }
    json.culprits = build.changeSet.map((change) => ({ absoluteUrl: `${rootUrl}user/${encodeURIComponent(change.author)}`, fullName: change.author }));
    json.nextBuild = neighbour(job.builds[index + 1]);
    json.previousBuild = neighbour(index > 0 ? job.builds[index - 1] : undefined);
    return withSummary(json, ['_class', 'number', 'url']);
  };

  const parameterDefinitionJson = (job: Job) =>
    job.spec.parameters.map((definition) => {
      const type = { string: 'StringParameterDefinition', text: 'TextParameterDefinition', boolean: 'BooleanParameterDefinition', choice: 'ChoiceParameterDefinition', password: 'PasswordParameterDefinition' }[definition.type];
      const defaultValue =
        definition.type === 'boolean'
          ? definition.default === true || definition.default === 'true'
          : definition.type === 'choice'
            ? (definition.default ?? definition.choices?.[0])
            : definition.default === undefined
              ? ''
              : String(definition.default);
      const json: Record<string, unknown> = {
        _class: `hudson.model.${type}`,
        defaultParameterValue: parameterValueJson({ name: definition.name, type: definition.type, value: defaultValue as string | boolean }),
        description: definition.description,
        name: definition.name,
        type,
      };
      if (definition.type === 'choice') json.choices = definition.choices;
      return json;
    });

  const permalink = (job: Job, predicate: (build: Build) => boolean) => {
    const build = [...job.builds].reverse().find(predicate);
    return build ? buildJson(build) : null;
  };

  const jobJson = (job: Job) => {
    const builds = [...job.builds].reverse();
    const property: unknown[] = [];
    if (job.spec.parameters.length > 0) property.push({ _class: 'hudson.model.ParametersDefinitionProperty', parameterDefinitions: parameterDefinitionJson(job) });
    const json: Record<string, unknown> = {
      _class: jobClass(job),
      actions: [{}, {}, { _class: 'org.jenkinsci.plugins.displayurlapi.actions.JobDisplayAction' }],
      description: job.description,
      displayName: job.displayName ?? job.name,
      displayNameOrNull: job.displayName ?? null,
      fullDisplayName: job.fullName.split('/').join(' » '),
      fullName: job.fullName,
      name: job.name,
      url: jobUrl(job),
      buildable: !job.spec.disabled,
      builds: builds.slice(0, 100).map(buildJson),
      color: color(job),
      firstBuild: job.builds[0] ? buildJson(job.builds[0]) : null,
      healthReport: [],
      inQueue: job.queueItem !== undefined,
      keepDependencies: false,
      lastBuild: permalink(job, () => true),
      lastCompletedBuild: permalink(job, (build) => !build.building),
      lastFailedBuild: permalink(job, (build) => build.result === 'FAILURE'),
      lastStableBuild: permalink(job, (build) => build.result === 'SUCCESS'),
      lastSuccessfulBuild: permalink(job, (build) => build.result === 'SUCCESS' || build.result === 'UNSTABLE'),
      lastUnstableBuild: permalink(job, (build) => build.result === 'UNSTABLE'),
      lastUnsuccessfulBuild: permalink(job, (build) => !build.building && build.result !== 'SUCCESS'),
      nextBuildNumber: job.nextBuildNumber,
      property,
      queueItem: job.queueItem ? queueItemJson(job.queueItem) : null,
      concurrentBuild: job.kind === 'pipeline',
      disabled: job.spec.disabled,
    };
    if (job.kind === 'pipeline') json.resumeBlocked = false;
    else {
      json.downstreamProjects = [];
      json.upstreamProjects = [];
      json.scm = job.spec.scm
        ? {
            _class: 'hudson.plugins.git.GitSCM',
            branches: [{ name: `*/${job.spec.scm.branch}` }],
            userRemoteConfigs: [{ credentialsId: job.spec.scm.credentialsId ?? null, name: null, refspec: null, url: job.spec.scm.url }],
          }
        : { _class: 'hudson.scm.NullSCM' };
    }
    return withSummary(json, ['_class', 'name', 'url', 'color']);
  };

  const folderJson = (folder: Folder): Record<string, unknown> =>
    withSummary(
      {
        _class: jobClass(folder),
        actions: [{}, {}],
        description: folder.description,
        displayName: folder.displayName ?? folder.name,
        displayNameOrNull: folder.displayName ?? null,
        fullDisplayName: folder.fullName.split('/').join(' » '),
        fullName: folder.fullName,
        name: folder.name,
        url: jobUrl(folder),
        healthReport: [],
        jobs: [...folder.children.values()].map(nodeJson),
        primaryView: { _class: 'hudson.model.AllView', name: 'All', url: jobUrl(folder) },
        views: [{ _class: 'hudson.model.AllView', name: 'All', url: jobUrl(folder) }],
      },
      ['_class', 'name', 'url'],
    );

  const nodeJson = (node: JobNode): Record<string, unknown> => (node.kind === 'folder' ? folderJson(node) : jobJson(node));

  const rootJson = (root: Folder) => ({
    _class: 'hudson.model.Hudson',
    assignedLabels: [{ name: 'built-in' }],
    mode: 'NORMAL',
    nodeDescription: 'the Jenkins controller\'s built-in node',
    nodeName: '',
    numExecutors: 2,
    description: null,
    jobs: [...root.children.values()].map(nodeJson),
    overallLoad: {},
    primaryView: { _class: 'hudson.model.AllView', name: 'all', url: rootUrl },
    quietDownReason: null,
    quietingDown: false,
    slaveAgentPort: -1,
    unlabeledLoad: { _class: 'jenkins.model.UnlabeledLoadStatistics' },
    url: rootUrl,
    useCrumbs: true,
    useSecurity: true,
    views: [{ _class: 'hudson.model.AllView', name: 'all', url: rootUrl }],
  });

  function queueItemJson(item: QueueItem): Record<string, unknown> {
    const job = item.job;
    const base: Record<string, unknown> = {
      actions: [
        ...(item.parameters.length > 0 ? [{ _class: 'hudson.model.ParametersAction', parameters: item.parameters.map(parameterValueJson) }] : []),
        { _class: 'hudson.model.CauseAction', causes: [{ _class: 'hudson.model.Cause$UserIdCause', shortDescription: `Started by user ${item.startedBy.fullName}`, userId: item.startedBy.id, userName: item.startedBy.fullName }] },
      ],
      blocked: false,
      buildable: false,
      id: item.id,
      inQueueSince: item.inQueueSince,
      params: item.parameters.map((parameter) => `\n${parameter.name}=${parameter.type === 'password' ? '****' : parameter.value}`).join(''),
      stuck: false,
      task: { _class: jobClass(job), name: job.name, url: jobUrl(job), color: color(job) },
      url: `queue/item/${item.id}/`,
    };
    if (item.state === 'waiting') {
      return { _class: 'hudson.model.Queue$WaitingItem', ...base, why: 'In the quiet period. Expires in 0 ms', timestamp: item.inQueueSince };
    }
    return {
      _class: 'hudson.model.Queue$LeftItem',
      ...base,
      why: null,
      cancelled: item.state === 'cancelled',
      executable: item.build ? { _class: buildClass(job), number: item.build.number, url: buildUrl(item.build) } : null,
    };
  }

  return { jobUrl, buildUrl, buildJson, jobJson, folderJson, nodeJson, rootJson, queueItemJson };
}

export type Representer = ReturnType<typeof createRepresenter>;
