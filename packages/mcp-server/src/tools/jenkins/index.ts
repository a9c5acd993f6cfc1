import type { ToolDeps } from '../../deps/deps.ts';
import type { AnyToolDefinition } from '../../contract/tool-definition.ts';
import { jenkinsGetBuild } from './jenkins-get-build.ts';
import { jenkinsGetBuildChangesets } from './jenkins-get-build-changesets.ts';
import { jenkinsGetBuildLog } from './jenkins-get-build-log.ts';
import { jenkinsGetBuildScm } from './jenkins-get-build-scm.ts';
import { jenkinsGetJob } from './jenkins-get-job.ts';
import { jenkinsGetJobParameters } from './jenkins-get-job-parameters.ts';
import { jenkinsGetJobScm } from './jenkins-get-job-scm.ts';
import { jenkinsGetJobs } from './jenkins-get-jobs.ts';
import { jenkinsGetLastBuilds } from './jenkins-get-last-builds.ts';
import { jenkinsStopBuild } from './jenkins-stop-build.ts';
import { jenkinsTriggerBuild } from './jenkins-trigger-build.ts';
import { jenkinsUpdateBuild } from './jenkins-update-build.ts';
import { jenkinsWhoami } from './jenkins-whoami.ts';

/** The Jenkins family: REST calls with credentials the engine supplies by reference (credentials_ref). */
export const jenkinsTools: AnyToolDefinition<ToolDeps>[] = [
  jenkinsGetJob,
  jenkinsGetJobs,
  jenkinsGetBuild,
  jenkinsGetLastBuilds,
  jenkinsGetBuildLog,
  jenkinsGetJobScm,
  jenkinsGetBuildScm,
  jenkinsGetBuildChangesets,
  jenkinsWhoami,
  jenkinsGetJobParameters,
  jenkinsTriggerBuild,
  jenkinsUpdateBuild,
  jenkinsStopBuild,
];
