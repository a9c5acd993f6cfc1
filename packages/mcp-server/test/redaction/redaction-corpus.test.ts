/**
 * Issue 7 item 5 and issue 19 item 11: the redaction corpus (test/fixtures/redaction-corpus.ts). Every planted
 * secret is rendered the ways the server emits it — as an object (redactObject), as YAML text, as JSON text, as the
 * raw text of a log, diff or kubectl describe output (redactText), as an approval card's arguments
 * (redactToolArguments) — and, for most contexts, also through the real tools: a preview of k8s_apply on kube-sim
 * (ConfigMaps, env, args, annotations), jenkins_get_build_log on jenkins-sim (application and Jenkins logs) and
 * helm_show_values with the real helm (Helm values). Recall is the share of secrets that never appear in any
 * output; the false-positive rate is the share of non-secrets lost from any output. Both are printed.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { redactObject, redactText, redactToolArguments } from '@skyflo/safety';
import { allTools } from '../../src/catalogue.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { keepEntries, secretEntries, type KeepEntry, type SecretEntry } from '../fixtures/redaction-corpus.ts';
import { createHelmHome, type HelmTestEnv } from '../support/helm-test-env.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

type Entry = SecretEntry | KeepEntry;
const valueOf = (entry: Entry) => ('secret' in entry ? entry.secret : entry.keep);

/** The object an entry sits in, as the cluster would hold it. */
function objectFor(entry: Entry): Record<string, unknown> | undefined {
  const { placement } = entry;
  if (placement.kind === 'pair') {
    if (entry.context === 'configmap') return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'corpus' }, data: { [placement.key]: placement.value } };
    if (entry.context === 'env') return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'corpus' }, spec: { containers: [{ name: 'app', image: 'app:1', env: [{ name: placement.key, value: placement.value }] }] } };
    if (entry.context === 'annotation') return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'corpus', annotations: { [placement.key]: placement.value } }, spec: { replicas: 1 } };
  }
  if (placement.kind === 'args') return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'corpus' }, spec: { containers: [{ name: 'app', image: 'app:1', args: placement.args }] } };
  if (entry.context === 'helm-values' && placement.kind === 'text') return parse(placement.text) as Record<string, unknown>;
  return undefined;
}

/** Every output path of the redaction functions for one entry. */
function renderings(entry: Entry): Record<string, string> {
  const object = objectFor(entry);
  const outputs: Record<string, string> = {};
  if (object) {
    outputs['object'] = JSON.stringify(redactObject(object));
    outputs['yaml text'] = redactText(stringify(object));
    outputs['json text'] = redactText(JSON.stringify(object, null, 2));
    // the approval card: the model proposes the object (or the values file) as a tool argument
    outputs['approval card'] =
      entry.context === 'helm-values' && entry.placement.kind === 'text'
        ? JSON.stringify(redactToolArguments('helm_upgrade', { release_name: 'corpus', chart: './chart', values: entry.placement.text }))
        : JSON.stringify(redactToolArguments('k8s_apply', { content: stringify(object) }));
  }
  if (entry.placement.kind === 'text') outputs['text'] = redactText(entry.placement.text);
  return outputs;
}

interface Score {
  total: number;
  failed: Array<{ id: string; where: string }>;
}

function score(entries: Entry[], outputsOf: (entry: Entry) => Record<string, string>, failsWhen: (output: string, entry: Entry) => boolean): Score {
  const failed: Score['failed'] = [];
  for (const entry of entries) {
    const outputs = outputsOf(entry);
    const where = Object.entries(outputs).filter(([, output]) => failsWhen(output, entry)).map(([name]) => name);
    if (where.length > 0) failed.push({ id: entry.id, where: where.join(', ') });
  }
  return { total: entries.length, failed };
}

const leaks = (output: string, entry: Entry) => output.includes(valueOf(entry));
const loses = (output: string, entry: Entry) => !output.includes(valueOf(entry));

function report(label: string, secrets: Score, keeps: Score): { recall: number; falsePositiveRate: number } {
  const recall = (secrets.total - secrets.failed.length) / secrets.total;
  const falsePositiveRate = keeps.failed.length / keeps.total;
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  console.log(
    `redaction corpus (${label}): recall ${secrets.total - secrets.failed.length}/${secrets.total} (${percent(recall)}), ` +
      `false positives ${keeps.failed.length}/${keeps.total} (${percent(falsePositiveRate)})`,
  );
  for (const miss of secrets.failed) console.log(`  leaked: ${miss.id} (${miss.where})`);
  for (const loss of keeps.failed) console.log(`  lost: ${loss.id} (${loss.where})`);
  return { recall, falsePositiveRate };
}

describe('the redaction corpus', () => {
  it('is at least 150 planted secrets and 150 non-secrets, across every context the issues name', () => {
    expect(secretEntries.length).toBeGreaterThanOrEqual(150);
    expect(keepEntries.length).toBeGreaterThanOrEqual(150);
    const contexts = ['configmap', 'env', 'args', 'annotation', 'helm-values', 'log', 'jenkins-log', 'diff', 'describe'];
    expect(new Set(secretEntries.map((entry) => entry.context))).toEqual(new Set(contexts));
    expect(new Set(keepEntries.map((entry) => entry.context))).toEqual(new Set(contexts));
    expect(new Set([...secretEntries, ...keepEntries].map((entry) => entry.id)).size).toBe(secretEntries.length + keepEntries.length);
    // the shapes the issue lists
    const planted = secretEntries.map((entry) => JSON.stringify(entry.placement)).join('\n');
    for (const shape of ['MYSQL_PWD', 'DB_PWD', 'pwd:', 'redis://:', '_authToken=', 'hooks.slack.com', 'sk_live_', '--db-password=', 'Using password', 'X-Api-Key:', 'session=', 'NEW_PWD']) {
      expect(planted, shape).toContain(shape);
    }
    // issue 19's leaks: mysql -pPASS, PagerDuty routing keys, htpasswd hashes, escaped-newline private keys in Helm
    // values, and describe env values after pwd:/X-Api-Key:/client_secret:/api_key:/credentials:
    for (const shape of ['mysql -u root -p', 'routing_key', '$apr1$', '$2y$', 'private_key: \\"-----BEGIN', 'pwd: ColonPwd', 'X-Api-Key: XApiKey', 'client_secret: ', 'api_key: ApiKey', 'credentials: Credentials']) {
      expect(planted, shape).toContain(shape);
    }
  });

  it('redactText/redactObject/redactToolArguments: 100% recall, under 5% false positives', () => {
    const { recall, falsePositiveRate } = report('redactText/redactObject/redactToolArguments', score(secretEntries, renderings, leaks), score(keepEntries, renderings, loses));
    expect(recall).toBe(1);
    expect(falsePositiveRate).toBeLessThan(0.05);
  });
});

describe('the redaction corpus through real tools', () => {
  let harness: KubeHarness;
  let helmHome: HelmTestEnv;
  let jenkins: JenkinsSim;
  let deps: ToolDeps;
  let chartsRoot: string;
  const call = (name: string, input: Record<string, unknown>) => runTool(allTools.find((tool) => tool.name === name)!, input, deps, { signal: new AbortController().signal });
  const logEntries = <T extends Entry>(entries: T[]) => entries.filter((entry) => entry.context === 'log' || entry.context === 'jenkins-log');
  const logText = (entries: Entry[]) => entries.map((entry) => (entry.placement.kind === 'text' ? entry.placement.text : '')).join('\n');

  beforeAll(async () => {
    harness = await startKubeHarness({ workloads: false });
    helmHome = await createHelmHome();
    chartsRoot = await mkdtemp(path.join(os.tmpdir(), 'skyflo-corpus-charts-'));
    jenkins = await startJenkinsSim({
      scenario: {
        jobs: [
          { type: 'freestyle', name: 'secrets', builds: [{ result: 'SUCCESS', log: `${logText(logEntries(secretEntries))}\n` }] },
          { type: 'freestyle', name: 'plain', builds: [{ result: 'SUCCESS', log: `${logText(logEntries(keepEntries))}\n` }] },
        ],
      },
    });
    deps = harness.depsWith({ helmEnv: helmHome.helmEnv, helmChartDirs: [chartsRoot], outputBudgetBytes: 256 * 1024 });
    deps.jenkinsCredentials = { resolve: async () => ({ apiUrl: jenkins.url, username: 'admin', apiToken: jenkins.token }) };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([harness?.close(), jenkins?.close()]);
    await helmHome?.cleanup();
    if (chartsRoot) await rm(chartsRoot, { recursive: true, force: true });
  });

  /** One manifest holding every configmap/env/args/annotation entry of a set, previewed by k8s_apply on kube-sim. */
  async function previewManifest(entries: Entry[], suffix: string): Promise<string> {
    const pairs = (context: string) => entries.filter((entry) => entry.context === context && entry.placement.kind === 'pair') as Array<Entry & { placement: { kind: 'pair'; key: string; value: string } }>;
    const argsEntries = entries.filter((entry) => entry.placement.kind === 'args');
    const documents = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `corpus-${suffix}` }, data: Object.fromEntries(pairs('configmap').map((entry) => [entry.placement.key, entry.placement.value])) },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `corpus-${suffix}`, annotations: Object.fromEntries(pairs('annotation').map((entry) => [entry.placement.key, entry.placement.value])) },
        spec: {
          containers: [
            { name: 'env', image: 'app:1', env: pairs('env').map((entry) => ({ name: entry.placement.key, value: entry.placement.value })) },
            ...argsEntries.map((entry, index) => ({ name: `args-${index}`, image: 'app:1', args: (entry.placement as { args: string[] }).args })),
          ],
        },
      },
    ];
    const result = await call('preview_tool_call', { tool: 'k8s_apply', arguments: { content: documents.map((document) => stringify(document)).join('---\n') } });
    expect(result.isError, result.text).toBeFalsy();
    return result.text;
  }

  /** A chart whose values.yaml holds every helm-values entry of a set, each under its own top-level key. */
  async function showValues(entries: Entry[], name: string): Promise<string> {
    const chart = path.join(chartsRoot, name);
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
    const values = entries
      .filter((entry) => entry.context === 'helm-values' && entry.placement.kind === 'text')
      .map((entry, index) => `entry${index}:\n${(entry.placement as { text: string }).text.replace(/^(?=.)/gm, '  ')}`)
      .join('');
    await writeFile(path.join(chart, 'values.yaml'), values);
    const result = await call('helm_show_values', { chart });
    expect(result.isError, result.text).toBeFalsy();
    return result.text;
  }

  /** A Pod holding every env entry of a set, created on kube-sim and printed by k8s_describe (the real kubectl describe). */
  async function describeEnv(entries: Entry[], suffix: string): Promise<string> {
    const env = entries.flatMap((entry) => (entry.context === 'env' && entry.placement.kind === 'pair' ? [{ name: entry.placement.key, value: entry.placement.value }] : []));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `corpus-env-${suffix}`, namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'app:1', env }] } };
    const applied = await call('k8s_apply', { content: stringify(pod) });
    expect(applied.isError, applied.text).toBeFalsy();
    const described = await call('k8s_describe', { resource_type: 'pod', name: `corpus-env-${suffix}`, namespace: 'default' });
    expect(described.isError, described.text).toBeFalsy();
    expect(described.text).toMatch(/Environment:/);
    return described.text;
  }

  it('kubectl describe of a Pod with every env entry: 100% recall, under 5% false positives', async () => {
    const secretText = await describeEnv(secretEntries, 'secrets');
    const keepText = await describeEnv(keepEntries, 'plain');
    const envOnly = <T extends Entry>(entries: T[]) => entries.filter((entry) => entry.context === 'env');
    // kubectl describe prints a multi-line value on aligned continuation lines: compare line by line.
    const printed = (output: string, entry: Entry) => valueOf(entry).split('\n').every((line) => output.includes(line.trim()));
    const { recall, falsePositiveRate } = report(
      'k8s_describe pod env',
      score(envOnly(secretEntries), () => ({ describe: secretText }), (output, entry) => valueOf(entry).split('\n').some((line) => line.trim().length >= 6 && output.includes(line.trim()))),
      score(envOnly(keepEntries), () => ({ describe: keepText }), (output, entry) => !printed(output, entry)),
    );
    expect(recall).toBe(1);
    expect(falsePositiveRate).toBeLessThan(0.05);
  }, 60_000);

  it('k8s_apply preview, jenkins_get_build_log and helm_show_values: 100% recall, under 5% false positives', async () => {
    const secretOutputs = {
      manifest: await previewManifest(secretEntries, 'secrets'),
      log: (await call('jenkins_get_build_log', { credentials_ref: 'skyflo/jenkins', jobFullName: 'secrets', build: 1 })).text,
      values: await showValues(secretEntries, 'corpus-secrets'),
    };
    const keepOutputs = {
      manifest: await previewManifest(keepEntries, 'plain'),
      log: (await call('jenkins_get_build_log', { credentials_ref: 'skyflo/jenkins', jobFullName: 'plain', build: 1 })).text,
      values: await showValues(keepEntries, 'corpus-plain'),
    };
    const toolOf = (entry: Entry): keyof typeof secretOutputs | undefined =>
      entry.context === 'log' || entry.context === 'jenkins-log' ? 'log' : entry.context === 'helm-values' ? 'values' : entry.context === 'diff' || entry.context === 'describe' ? undefined : 'manifest';
    const throughTools = <T extends Entry>(entries: T[]) => entries.filter((entry) => toolOf(entry) !== undefined);
    const outputsFor = (outputs: typeof secretOutputs) => (entry: Entry) => ({ [toolOf(entry)!]: outputs[toolOf(entry)!] });
    // JSON output escapes quotes and backslashes in values; compare against the value as it is printed there.
    const printed = (output: string, entry: Entry) => output.includes(valueOf(entry)) || output.includes(JSON.stringify(valueOf(entry)).slice(1, -1));
    const secrets = throughTools(secretEntries);
    const keeps = throughTools(keepEntries);
    expect(secrets.length).toBeGreaterThanOrEqual(150);
    const { recall, falsePositiveRate } = report(
      'through k8s_apply preview / jenkins_get_build_log / helm_show_values',
      score(secrets, outputsFor(secretOutputs), printed),
      score(keeps, outputsFor(keepOutputs), (output, entry) => !printed(output, entry)),
    );
    expect(recall).toBe(1);
    expect(falsePositiveRate).toBeLessThan(0.05);
  }, 60_000);
});
