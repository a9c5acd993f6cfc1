import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName, assertSafeSelector } from '../../exec/flag-guard.ts';
import { apiVersionOf, resourcePath } from '../../kube/create-discovery.ts';
import { clients, displayName, namespaceOf, resolveResource } from './kubectl-common.ts';
import { formatRows, tableToRows, type KubeTable } from './render-table.ts';
import { summariseEvents, summariseTable } from './summarise-table.ts';
import { formatObject } from './format-object.ts';
import { withTextOutput } from '../output-shapes.ts';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
/** Rows shown in full before a list is summarised. */
export const MAX_TABLE_ROWS = 200;
const SUMMARY_ROWS = 40;

export const k8sGet = defineTool({
  name: 'k8s_get',
  title: 'Get Kubernetes Resources',
  description:
    'List or get Kubernetes resources, printed like `kubectl get` (a table by default; wide, yaml, json or name on request). Large lists are summarised (counts by status and namespace plus the first rows); Secret values are redacted.',
  toolset: 'k8s',
  tags: ['metrics'],
  inputSchema: {
    resource_type: z.string().min(1).describe('Resource type, e.g. pods, deployment, svc, nodes, or <plural>.<group> for CRDs'),
    name: z.string().optional().describe('Name of one object; omit to list all'),
    namespace: z.string().optional().describe('Namespace to list in (default "default"); ignored for cluster-scoped resources'),
    all_namespaces: z.boolean().optional().default(false).describe('List across all namespaces (like -A); not with namespace'),
    output: z.enum(['wide', 'yaml', 'json', 'name']).optional().describe('Output format: wide (extra columns), yaml, json, or name'),
    label_selector: z.string().optional().describe("Label selector, e.g. 'app=nginx' or 'tier in (web,api)'"),
  },
  outputSchema: withTextOutput({ total: z.number().int().optional().describe('Rows in the full list (set when the list was summarised)'), summarised: z.boolean().optional().describe('The list was too long and is shown as counts plus a sample') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    if (input.namespace && input.all_namespaces) {
      throw new ToolInputError('namespace and all_namespaces are mutually exclusive.', { hint: 'pass one of them' });
    }
    if (input.name) assertSafeName('name', input.name);
    if (input.label_selector) assertSafeSelector('label_selector', input.label_selector);
    if (input.resource_type.trim().toLowerCase() === 'all') return getAll(input, deps, context.signal);
    const info = await resolveResource(deps, input.resource_type);
    const allNamespaces = Boolean(input.all_namespaces) && !input.name && info.namespaced;
    const namespace = info.namespaced && !allNamespaces ? namespaceOf(deps, input.namespace) : undefined;
    const path = resourcePath(info, { namespace, name: input.name });
    const query = { labelSelector: input.label_selector };
    const { http } = clients(deps);
    const where = namespace ? ` in namespace "${namespace}"` : '';

    if (input.output === 'yaml' || input.output === 'json') {
      const result = await http.json<Record<string, any>>({ path, query, signal: context.signal });
      const value = input.name ? result : { apiVersion: 'v1', kind: 'List', items: (result.items ?? []).map((item: any) => ({ apiVersion: apiVersionOf(info), kind: info.kind, ...item })) };
      return { text: formatObject(value, input.output) };
    }
    if (input.output === 'name') {
      const result = await http.json<Record<string, any>>({ path, query, signal: context.signal });
      const names: string[] = input.name ? [result.metadata?.name] : (result.items ?? []).map((item: any) => item.metadata?.name);
      if (names.length === 0) return { text: `No resources found${where}.` };
      return { text: names.map((name) => displayName(info, name)).join('\n') };
    }

    const response = await http.json<KubeTable | Record<string, any>>({
      path,
      query: { ...query, includeObject: 'Metadata' },
      accept: TABLE_ACCEPT,
      signal: context.signal,
    });
    const table = response.kind === 'Table' ? (response as KubeTable) : tableFromList(response, Boolean(input.name));
    const rendered = tableToRows(table, { wide: input.output === 'wide', withNamespace: allNamespaces });
    if (rendered.rows.length === 0) return { text: allNamespaces ? 'No resources found.' : `No resources found${where}.` };
    if (rendered.rows.length > MAX_TABLE_ROWS) {
      const isEvents = info.resource === 'events';
      const summarise = isEvents ? summariseEvents : summariseTable;
      return {
        // Events are merged by their COUNT column, which only the wide table carries.
        text: summarise(isEvents ? tableToRows(table, { wide: true, withNamespace: allNamespaces }) : rendered, {
          resourceLabel: info.resource,
          maxRows: SUMMARY_ROWS,
          filterHint: `pass namespace${allNamespaces ? ' (instead of all_namespaces)' : ''}, a label_selector such as 'app=web', or a name; output=name lists just the names.`,
        }),
        structured: { total: rendered.rows.length, summarised: true },
      };
    }
    return { text: formatRows(rendered) };
  },
});

/** The resource types `kubectl get all` shows (its "all" category). */
const ALL_CATEGORY = ['pods', 'services', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'horizontalpodautoscalers.autoscaling', 'jobs.batch', 'cronjobs.batch'];

/** `kubectl get all`: one table per type that has objects, names prefixed with their type. */
async function getAll(
  input: { namespace?: string; all_namespaces?: boolean; label_selector?: string; output?: string; name?: string },
  deps: ToolDeps,
  signal: AbortSignal,
): Promise<{ text: string }> {
  if (input.name) throw new ToolInputError('resource_type "all" cannot be combined with name.', { hint: 'give a concrete resource_type such as deployment' });
  if (input.output === 'yaml' || input.output === 'json') throw new ToolInputError('resource_type "all" supports table, wide and name output only.', { hint: 'list one resource type at a time for yaml/json' });
  const allNamespaces = Boolean(input.all_namespaces);
  const namespace = allNamespaces ? undefined : namespaceOf(deps, input.namespace);
  const { http, discovery } = clients(deps);
  const sections: string[] = [];
  let total = 0;
  for (const type of ALL_CATEGORY) {
    const info = await discovery.resolve(type).catch(() => undefined);
    if (!info) continue;
    const response = await http.json<KubeTable | Record<string, any>>({
      path: resourcePath(info, { namespace }),
      query: { labelSelector: input.label_selector, includeObject: 'Metadata' },
      accept: TABLE_ACCEPT,
      signal,
    });
    const table = response.kind === 'Table' ? (response as KubeTable) : tableFromList(response, false);
    const rendered = tableToRows(table, { wide: input.output === 'wide', withNamespace: allNamespaces });
    if (rendered.rows.length === 0) continue;
    total += rendered.rows.length;
    const nameColumn = rendered.headers.indexOf('NAME');
    const prefixed = rendered.rows.map((row) => row.map((cell, column) => (column === nameColumn ? displayName(info, cell) : cell)));
    if (input.output === 'name') sections.push(prefixed.map((row) => row[nameColumn]).join('\n'));
    else sections.push(formatRows({ headers: rendered.headers, rows: prefixed.slice(0, MAX_TABLE_ROWS) }) + (prefixed.length > MAX_TABLE_ROWS ? `\n… ${prefixed.length - MAX_TABLE_ROWS} more ${info.resource}; list them with resource_type "${info.resource}"` : ''));
  }
  if (total === 0) return { text: namespace ? `No resources found in namespace "${namespace}".` : 'No resources found.' };
  return { text: sections.join(input.output === 'name' ? '\n' : '\n\n') };
}

/** Fallback when a server ignores the Table Accept header: NAME and AGE, as kubectl prints then. */
function tableFromList(response: Record<string, any>, single: boolean): KubeTable {
  const items: any[] = single ? [response] : (response.items ?? []);
  return {
    kind: 'Table',
    columnDefinitions: [{ name: 'Name' }, { name: 'Age' }],
    rows: items.map((item) => ({ cells: [item.metadata?.name, age(item.metadata?.creationTimestamp)], object: { metadata: item.metadata } })),
  };
}

export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
