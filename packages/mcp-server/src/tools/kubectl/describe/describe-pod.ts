/** `kubectl describe pod`, natively (PodDescriber). */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, writeEvents } from './describe-events.ts';
import { controllerOf, formatTime, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline, since, type KubeObject } from './describe-format.ts';
import { describeContainers, describeResources, describeTopologySpreadConstraints, describeVolumes, envValueRetriever } from './describe-pod-template.ts';
import { createDescribeWriter, LEVEL_0, LEVEL_1 } from './describe-writer.ts';
import { podQosClass } from './pod-qos.ts';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export const describePod: NativeDescriber = {
  group: '',
  kind: 'Pod',
  version: 'v1',
  async describe(pod, context) {
    // kubectl drops the kind from the pod's event reference and, for a static pod's mirror, matches the mirror uid.
    const mirrorUid = pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION];
    const events = await eventsOrNone(context, { name: pod.metadata.name, namespace: pod.metadata.namespace ?? '', uid: mirrorUid ?? pod.metadata.uid });
    return renderPod(pod, events, context.now);
  },
};

export function renderPod(pod: KubeObject, events: KubeObject[] | undefined, now: number): string {
  const writer = createDescribeWriter();
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  writer.write(LEVEL_0, `Name:\t${pod.metadata.name}\n`);
  writer.write(LEVEL_0, `Namespace:\t${pod.metadata.namespace ?? ''}\n`);
  if (spec.priority !== undefined && spec.priority !== null) writer.write(LEVEL_0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) writer.write(LEVEL_0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) writer.write(LEVEL_0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) writer.write(LEVEL_0, `Service Account:\t${spec.serviceAccountName}\n`);
  writer.write(LEVEL_0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) writer.write(LEVEL_0, `Start Time:\t${formatTime(status.startTime)}\n`);
  printLabelsMultiline(writer, 'Labels', pod.metadata.labels);
  printAnnotationsMultiline(writer, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    writer.write(LEVEL_0, `Status:\tTerminating (lasts ${since(pod.metadata.deletionTimestamp, now)})\n`);
    writer.write(LEVEL_0, `Termination Grace Period:\t${pod.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    writer.write(LEVEL_0, `Status:\t${status.phase ?? ''}\n`);
  }
  if (status.reason) writer.write(LEVEL_0, `Reason:\t${status.reason}\n`);
  if (status.message) writer.write(LEVEL_0, `Message:\t${status.message}\n`);
  const seccomp = spec.securityContext?.seccompProfile;
  if (seccomp) {
    writer.write(LEVEL_0, `SeccompProfile:\t${seccomp.type ?? ''}\n`);
    if (seccomp.type === 'Localhost') writer.write(LEVEL_0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  writer.write(LEVEL_0, `IP:\t${status.podIP ?? ''}\n`);
  if (!status.podIPs?.length) {
    writer.write(LEVEL_0, 'IPs:\t<none>\n');
  } else {
    writer.write(LEVEL_0, 'IPs:\n');
    for (const address of status.podIPs) writer.write(LEVEL_1, `IP:\t${address.ip ?? ''}\n`);
  }
  const controlledBy = controllerOf(pod);
  if (controlledBy) writer.write(LEVEL_0, `Controlled By:\t${controlledBy}\n`);
  if (status.nominatedNodeName) writer.write(LEVEL_0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  if (spec.resources) {
    writer.write(LEVEL_0, 'Resources:\n');
    describeResources(writer, spec.resources, LEVEL_1);
  }
  const resolve = envValueRetriever(pod);
  if (spec.initContainers?.length) describeContainers(writer, { label: 'Init Containers', containers: spec.initContainers, statuses: status.initContainerStatuses, resolve, space: '' });
  describeContainers(writer, { label: 'Containers', containers: spec.containers, statuses: status.containerStatuses, resolve, space: '' });
  if (spec.ephemeralContainers?.length) describeContainers(writer, { label: 'Ephemeral Containers', containers: spec.ephemeralContainers, statuses: status.ephemeralContainerStatuses, resolve, space: '' });
  if (spec.readinessGates?.length) {
    writer.write(LEVEL_0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const gate of spec.readinessGates) {
      const condition = (status.conditions ?? []).find((candidate: KubeObject) => candidate.type === gate.conditionType);
      writer.write(LEVEL_1, `${gate.conditionType} \t${condition ? condition.status : '<none>'} \n`);
    }
  }
  if (status.conditions?.length) {
    writer.write(LEVEL_0, 'Conditions:\n  Type\tStatus\n');
    for (const condition of status.conditions) writer.write(LEVEL_1, `${condition.type} \t${condition.status} \n`);
  }
  describeVolumes(writer, spec.volumes, '');
  writer.write(LEVEL_0, `QoS Class:\t${podQosClass(pod)}\n`);
  printLabelsMultiline(writer, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(writer, 'Tolerations', spec.tolerations);
  describeTopologySpreadConstraints(writer, spec.topologySpreadConstraints, '');
  writeEvents(writer, events, now);
  return writer.toString();
}
