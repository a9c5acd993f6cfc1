import type { ToolDeps } from '../../deps/deps.ts';
import type { AnyToolDefinition } from '../../contract/tool-definition.ts';
import { argoAbortRollout } from './argo-abort-rollout.ts';
import { argoDescribe } from './argo-describe.ts';
import { argoHistory } from './argo-history.ts';
import { argoListAnalysisRuns } from './argo-list-analysisruns.ts';
import { argoListExperiments } from './argo-list-experiments.ts';
import { argoListRollouts } from './argo-list-rollouts.ts';
import { argoPauseRollout } from './argo-pause-rollout.ts';
import { argoPromote } from './argo-promote.ts';
import { argoResumeRollout } from './argo-resume-rollout.ts';
import { argoRolloutRestart } from './argo-rollout-restart.ts';
import { argoSetImage } from './argo-set-image.ts';
import { argoStatus } from './argo-status.ts';
import { argoUndo } from './argo-undo.ts';

/** The Argo Rollouts family: the plugin's commands, done as API calls so no kubectl plugin is needed. */
export const argoTools: AnyToolDefinition<ToolDeps>[] = [
  argoListRollouts,
  argoStatus,
  argoHistory,
  argoDescribe,
  argoListExperiments,
  argoListAnalysisRuns,
  argoPromote,
  argoPauseRollout,
  argoResumeRollout,
  argoSetImage,
  argoRolloutRestart,
  argoAbortRollout,
  argoUndo,
];
