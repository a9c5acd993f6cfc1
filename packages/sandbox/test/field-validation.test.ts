/**
 * Server-side field validation as kubectl v1.32 meets it: `fieldValidation=Strict` (kubectl's default) rejects
 * unknown fields of every built-in kind at any depth, Warn (`--validate=warn`) and Ignore (`--validate=false`)
 * accept and drop them, server-side apply rejects them whatever the directive; raw clients get duplicates
 * reported too. Messages are the API server's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoScenarioPath } from '../src/kube-sim/scenarios/load-scenario.ts';
import { startHarness, type KubectlHarness } from './support/kubectl-harness.ts';

let harness: KubectlHarness;
const kubectl = (args: string[], input?: string) => harness.kubectl(args, input === undefined ? {} : { input });
const ok = (args: string[], input?: string) => harness.ok(args, input === undefined ? {} : { input });

const configMapWithUnknownField = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
colour: green
`;

const deploymentWithTypo = (name: string, typo = 'imagePullPolicyy: Always') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ${typo}
`;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness?.close());

describe('fieldValidation=Strict (kubectl create / apply)', () => {
  it('rejects a ConfigMap with an unknown top-level field and creates nothing', async () => {
    const result = await kubectl(['create', '-f', '-'], configMapWithUnknownField);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "colour"');
    expect((await kubectl(['get', 'configmap', 'settings'])).code).toBe(1);
  });

  it('names a nested unknown field by its path', async () => {
    const result = await kubectl(['apply', '-f', '-'], deploymentWithTypo('typo'));
    expect(result.stderr.trim()).toBe('Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"');
    const probe = await kubectl(['apply', '-f', '-'], deploymentWithTypo('probe', 'readinessProbe: {httpGet: {path: /, port: 80, schema: HTTP}}'));
    expect(probe.stderr).toContain('strict decoding error: unknown field "spec.template.spec.containers[0].readinessProbe.httpGet.schema"');
  });

  it('checks the patch of an apply to an existing object too', async () => {
    await ok(['apply', '-f', '-'], deploymentWithTypo('patched', 'imagePullPolicy: Always'));
    const result = await kubectl(['apply', '-f', '-'], deploymentWithTypo('patched', 'imagePullPolicy: Always\n        resource: {limits: {cpu: 100m}}'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('for: "STDIN": error when patching "STDIN": strict decoding error: unknown field "spec.template.spec.containers[0].resource"');
  });

  it('accepts every built-in object of the demo scenario (no false positives)', async () => {
    const documents = readFileSync(demoScenarioPath, 'utf8').split(/^---$/m).filter((document) => /^kind: /m.test(document) && !/sim\.skyflo\.ai\/v1alpha1|argoproj\.io/.test(document));
    await ok(['apply', '-f', '-'], documents.filter((document) => /^kind: Namespace$/m.test(document)).join('---\n'));
    const result = await kubectl(['apply', '--dry-run=server', '-f', '-'], documents.join('---\n'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deployment.apps/payments created (server dry run)');
  });
});

describe('Warn and Ignore', () => {
  it('warns with --validate=warn, drops the field and creates the object', async () => {
    const result = await kubectl(['create', '--validate=warn', '-f', '-'], configMapWithUnknownField);
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toBe('Warning: unknown field "colour"');
    const stored = JSON.parse(await ok(['get', 'configmap', 'settings', '-o', 'json']));
    expect(stored.data).toEqual({ color: 'blue' });
    expect(stored.colour).toBeUndefined();
  });

  it('drops the field silently with --validate=false', async () => {
    const result = await kubectl(['apply', '--validate=false', '-f', '-'], deploymentWithTypo('quiet'));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const stored = JSON.parse(await ok(['get', 'deployment', 'quiet', '-o', 'json']));
    expect(stored.spec.template.spec.containers[0].imagePullPolicyy).toBeUndefined();
  });
});

describe('server-side apply and raw requests', () => {
  it('rejects an unknown field in a server-side apply whatever the directive', async () => {
    const result = await kubectl(['apply', '--server-side', '-f', '-'], deploymentWithTypo('ssa'));
    expect(result.stderr.trim()).toBe('Error from server: failed to create typed patch object (default/ssa; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in schema');
    const lax = await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], configMapWithUnknownField.replace('settings', 'lax'));
    expect(lax.stderr.trim()).toBe('Error from server: failed to create typed patch object (default/lax; /v1, Kind=ConfigMap): .colour: field not declared in schema');
  });

  it('reports unknown and duplicate fields of a JSON body in document order', async () => {
    const body = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"raw","unknownMeta":"x"},"spec":{"unknownField":"foo","replicas":2,"replicas":3,"selector":{"matchLabels":{"app":"raw"}},"template":{"metadata":{"labels":{"app":"raw"}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}';
    const response = await fetch(`${harness.sim.url}/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect((await response.json()).message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "metadata.unknownMeta", unknown field "spec.unknownField", duplicate field "spec.replicas"');
    const warned = await fetch(`${harness.sim.url}/apis/apps/v1/namespaces/default/deployments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"metadata.unknownMeta\\"", 299 - "unknown field \\"spec.unknownField\\"", 299 - "duplicate field \\"spec.replicas\\""');
    expect((await warned.json()).spec.replicas).toBe(3);
    const bad = await fetch(`${harness.sim.url}/api/v1/namespaces/default/configmaps?fieldValidation=Sometimes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"metadata":{"name":"x"}}' });
    expect(bad.status).toBe(422);
    expect((await bad.json()).message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Sometimes": supported values: "Ignore", "Strict", "Warn"');
  });
});

describe('custom resources: what the CRD schema does not declare is pruned (issue 76: a field the chart CRD lacked)', () => {
  const widgetsCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.io}
spec:
  group: example.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              labels: {type: object, additionalProperties: {type: string}}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              parts: {type: array, items: {type: object, properties: {name: {type: string}}}}
          status:
            type: object
            properties:
              phase: {type: string}
`;
  const widget = (name: string, spec: string) => `apiVersion: example.io/v1\nkind: Widget\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
  const collection = () => `${harness.sim.url}/apis/example.io/v1/namespaces/default/widgets`;

  beforeAll(async () => {
    await ok(['apply', '-f', '-'], widgetsCrd);
  });

  it('kubectl (Strict) refuses an undeclared field and creates nothing; --validate=false drops it silently', async () => {
    const refused = await kubectl(['create', '-f', '-'], widget('strict', '{size: 2, colour: blue}'));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"');
    expect((await kubectl(['get', 'widget', 'strict'])).code).toBe(1);

    const quiet = await kubectl(['create', '--validate=false', '-f', '-'], widget('quiet', '{size: 2, colour: blue}'));
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(await ok(['get', 'widget', 'quiet', '-o', 'json'])).spec).toEqual({ size: 2 });
  });

  it('a client that names no directive (Warn) gets its write with the undeclared fields dropped and a Warning for each, at any depth and in the status', async () => {
    const body = { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'raw' }, spec: { size: 1, colour: 'blue', labels: { tier: 'web' }, extra: { anything: { goes: true } }, parts: [{ name: 'a', weight: 3 }] }, status: { phase: 'ignored on create' } };
    const created = await fetch(collection(), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBe('299 - "unknown field \\"spec.colour\\"", 299 - "unknown field \\"spec.parts[0].weight\\""');
    const stored = (await created.json()) as { spec: unknown; status?: unknown; metadata: { resourceVersion: string } };
    // declared, additionalProperties and preserve-unknown-fields content is kept
    expect(stored.spec).toEqual({ size: 1, labels: { tier: 'web' }, extra: { anything: { goes: true } }, parts: [{ name: 'a' }] });

    const status = await fetch(`${collection()}/raw/status`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, metadata: { name: 'raw', resourceVersion: stored.metadata.resourceVersion }, status: { phase: 'Ready', signature: 'kept nowhere' } }) });
    expect(status.status).toBe(200);
    expect(status.headers.get('warning')).toBe('299 - "unknown field \\"status.signature\\""');
    expect(JSON.parse(await ok(['get', 'widget', 'raw', '-o', 'json'])).status).toEqual({ phase: 'Ready' });
  });
});
