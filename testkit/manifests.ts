/** Small manifests the flow tests apply with the real kubectl. */

/** a Deployment `name` in `default` of one nginx:1.27 container named like it, labelled app=`name` */
export const deploymentYaml = (name: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: "nginx:1.27"}]}
`;
