/**
 * Native `kubectl describe`: one renderer per kind (each a port of the kubectl describer it names), looked
 * up by API group and kind. Kinds not listed here, and objects a renderer cannot print exactly (an unusual
 * volume type, say), are described by the kubectl binary instead.
 */
import type { ResourceInfo } from '../../../kube/create-discovery.ts';
import type { NativeDescriber } from './describe-context.ts';
import { describeConfigMap } from './describe-config-map.ts';
import { describeCronJob } from './describe-cron-job.ts';
import { describeDaemonSet } from './describe-daemon-set.ts';
import { describeDeployment } from './describe-deployment.ts';
import { describeHorizontalPodAutoscaler } from './describe-horizontal-pod-autoscaler.ts';
import { describeIngress } from './describe-ingress.ts';
import { describeJob } from './describe-job.ts';
import { describeNamespace } from './describe-namespace.ts';
import { describeNode } from './describe-node.ts';
import { describePersistentVolume } from './describe-persistent-volume.ts';
import { describePersistentVolumeClaim } from './describe-persistent-volume-claim.ts';
import { describePod } from './describe-pod.ts';
import { describeReplicaSet } from './describe-replica-set.ts';
import { describeRollout } from './describe-rollout.ts';
import { describeSecret } from './describe-secret.ts';
import { describeService } from './describe-service.ts';
import { describeStatefulSet } from './describe-stateful-set.ts';

export const nativeDescribers: readonly NativeDescriber[] = [
  describePod,
  describeDeployment,
  describeReplicaSet,
  describeStatefulSet,
  describeDaemonSet,
  describeJob,
  describeCronJob,
  describeService,
  describeIngress,
  describeNode,
  describeNamespace,
  describePersistentVolumeClaim,
  describePersistentVolume,
  describeConfigMap,
  describeSecret,
  describeHorizontalPodAutoscaler,
  describeRollout,
];

export function nativeDescriberFor(info: Pick<ResourceInfo, 'group' | 'kind'>): NativeDescriber | undefined {
  return nativeDescribers.find((describer) => describer.group === info.group && describer.kind === info.kind);
}

export { NativeDescribeUnsupported, type DescribeContext, type NativeDescriber } from './describe-context.ts';
