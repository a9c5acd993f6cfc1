/** The kubectl family: cluster reads, mutations, and the k8s_diff preview. */
import type { AnyToolDefinition } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { k8sLogs } from './k8s-logs.ts';
import { k8sGet } from './k8s-get.ts';
import { k8sDescribe } from './k8s-describe.ts';
import { waitForXSeconds } from './wait-for-x-seconds.ts';
import { k8sRolloutStatus } from './k8s-rollout-status.ts';
import { k8sRolloutHistory } from './k8s-rollout-history.ts';
import { k8sClusterInfo } from './k8s-cluster-info.ts';
import { k8sTopPods } from './k8s-top-pods.ts';
import { k8sTopNodes } from './k8s-top-nodes.ts';
import { k8sApply } from './k8s-apply.ts';
import { k8sPatch } from './k8s-patch.ts';
import { k8sSetImage } from './k8s-set-image.ts';
import { k8sRolloutRestart } from './k8s-rollout-restart.ts';
import { k8sScale } from './k8s-scale.ts';
import { k8sRolloutUndo } from './k8s-rollout-undo.ts';
import { k8sCordon } from './k8s-cordon.ts';
import { k8sUncordon } from './k8s-uncordon.ts';
import { k8sRunPod } from './k8s-run-pod.ts';
import { k8sExec } from './k8s-exec.ts';
import { k8sPortForward } from './k8s-port-forward.ts';
import { k8sDelete } from './k8s-delete.ts';
import { k8sDrain } from './k8s-drain.ts';
import { k8sDiff } from './k8s-diff.ts';
import { k8sAuthCanI } from './k8s-auth-can-i.ts';

export const kubectlTools: AnyToolDefinition<ToolDeps>[] = [
  k8sLogs, k8sGet, k8sDescribe, waitForXSeconds, k8sRolloutStatus, k8sRolloutHistory, k8sClusterInfo, k8sTopPods, k8sTopNodes, k8sAuthCanI,
  k8sApply, k8sPatch, k8sSetImage, k8sRolloutRestart, k8sScale, k8sRolloutUndo, k8sCordon, k8sUncordon, k8sRunPod, k8sExec, k8sPortForward,
  k8sDelete, k8sDrain,
  k8sDiff,
];
