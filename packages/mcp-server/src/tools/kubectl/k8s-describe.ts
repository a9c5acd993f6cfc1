import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { KubeApiError, toToolInputError } from '../../kube/kube-api-error.ts';
import type { ResourceInfo } from '../../kube/create-discovery.ts';
import { assertSafeArgument, assertSafeName, clients, namespaceField, namespaceOf, resolveResource, runKubectl } from './kubectl-common.ts';
import { nativeDescriberFor, NativeDescribeUnsupported, type DescribeContext, type NativeDescriber } from './describe/index.ts';
import { prefetchEvents } from './describe/describe-events.ts';
import { textOutputShape } from '../output-shapes.ts';

/** Objects rendered at a time when describing every object of a type (each needs a few API calls). */
const DESCRIBE_CONCURRENCY = 8;

export const k8sDescribe = defineTool({
  name: 'k8s_describe',
  title: 'Describe Kubernetes Resource',
  description:
    'Show `kubectl describe` for a resource: its spec, status, conditions and recent events (a name that matches no object describes the objects whose names start with it). Secret values are never shown.',
  toolset: 'k8s',
  inputSchema: {
    name: z.string().optional().describe('Name of the object; omit to describe every object of the type in the namespace'),
    resource_type: z.string().min(1).describe('Resource type, e.g. pod, deployment, service, node'),
    namespace: namespaceField,
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    assertSafeArgument('resource_type', input.resource_type);
    if (input.name) assertSafeName('name', input.name);
    const namespace = namespaceOf(deps, input.namespace);
    // Why native: `kubectl describe` costs a subprocess (~80 ms) per call; the common kinds are rendered here
    // from the API, line for line as kubectl prints them (describe/). Anything else still goes to kubectl.
    const info = await resolveResource(deps, input.resource_type).catch(() => undefined);
    const describer = info ? nativeDescriberFor(info) : undefined;
    if (info && describer) {
      try {
        return { text: await describeNatively({ deps, info, describer, name: input.name, namespace, signal: context.signal }) };
      } catch (error) {
        if (!(error instanceof NativeDescribeUnsupported)) throw error;
      }
    }
    const args = ['describe', input.resource_type, ...(input.name ? [input.name] : []), '--namespace', namespace];
    const text = await runKubectl(deps, args, { signal: context.signal, action: `describe ${input.resource_type}${input.name ? ` ${input.name}` : ''}`, timeoutMs: 30_000 });
    return { text: text.trim() || `No ${input.resource_type} found in namespace "${namespace}".` };
  },
});

async function describeNatively(options: { deps: ToolDeps; info: ResourceInfo; describer: NativeDescriber; name?: string; namespace: string; signal: AbortSignal }): Promise<string> {
  const { deps, info, describer, name, signal } = options;
  const { http } = clients(deps);
  const namespace = info.namespaced ? options.namespace : undefined;
  // kubectl reads each kind with its typed client's version (Rollouts, a CRD, with the served one).
  const version = describer.group === 'argoproj.io' ? info.version : describer.version;
  const prefix = info.group === '' ? `/api/${version}` : `/apis/${info.group}/${version}`;
  const collection = `${prefix}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${info.resource}`;
  const context: DescribeContext = { http, signal, now: Date.now() };
  const typed = (object: Record<string, any>) => ({ apiVersion: info.group ? `${info.group}/${version}` : version, kind: info.kind, ...object });
  const action = `describe ${info.singular}${name ? ` ${name}` : ''}`;
  try {
    let objects: Record<string, any>[];
    let prefetched: Promise<unknown> | undefined;
    if (name) {
      if (describer.prefetch) {
        prefetched = describer.prefetch(context, { name, namespace: namespace ?? '' });
        prefetched.catch(() => undefined);
      }
      if (!describer.withoutEvents) {
        // kubectl matches a pod's events by name and uid only, every other kind's by kind as well.
        context.prefetchedEvents = prefetchEvents(context, { name, namespace: namespace ?? '', kind: describer.kind === 'Pod' ? undefined : info.kind });
      }
      try {
        objects = [await http.json<Record<string, any>>({ path: `${collection}/${encodeURIComponent(name)}`, signal })];
      } catch (error) {
        context.prefetchedEvents = undefined;
        prefetched = undefined;
        // Like kubectl: a name that matches nothing describes every object whose name starts with it.
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
        const list = await http.json<{ items?: Record<string, any>[] }>({ path: collection, signal }).catch(() => ({ items: [] }));
        objects = (list.items ?? []).filter((item) => String(item.metadata?.name ?? '').startsWith(name)).map(typed);
        if (objects.length === 0) throw error;
      }
    } else {
      objects = ((await http.json<{ items?: Record<string, any>[] }>({ path: collection, signal })).items ?? []).map(typed);
      if (objects.length === 0) return `No ${info.resource} found${namespace ? ` in namespace "${namespace}"` : ''}.`;
    }
    return await renderAll(objects, (object) => describer.describe(object, context, prefetched), deps.settings.outputBudgetBytes, info);
  } catch (error) {
    if (error instanceof NativeDescribeUnsupported || error instanceof ToolInputError) throw error;
    throw toToolInputError(error, { action }) ?? error;
  }
}

/**
 * Renders each object in order, a few at a time, separated like kubectl separates them; stops once the text
 * is past the output budget (the rest would be cut anyway) and says how many were left out.
 */
async function renderAll(objects: Record<string, any>[], render: (object: Record<string, any>) => Promise<string>, budgetBytes: number, info: ResourceInfo): Promise<string> {
  const parts: string[] = [];
  let bytes = 0;
  for (let start = 0; start < objects.length; start += DESCRIBE_CONCURRENCY) {
    const batch = objects.slice(start, start + DESCRIBE_CONCURRENCY);
    for (const text of await Promise.all(batch.map(render))) {
      parts.push(text);
      bytes += Buffer.byteLength(text);
    }
    const remaining = objects.length - start - batch.length;
    if (bytes > budgetBytes && remaining > 0) {
      parts.push(`… ${remaining} more ${info.resource} not described; describe one by name, or list them with k8s_get.\n`);
      break;
    }
  }
  return parts.join('\n\n').trimEnd();
}
