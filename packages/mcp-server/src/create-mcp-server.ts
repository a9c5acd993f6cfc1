/**
 * Builds an McpServer from ToolDefinitions. Read-only mode drops mutating tools from the list, and
 * runTool refuses them too, so a client that guesses a name still can't call one.
 */
import { traceServedToolCall } from './trace-tool-call.ts';
import { McpServer, type CallToolResult, type ServerContext, type Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { mcpMetaKeys, previewToolCallName, toolRbacRules } from '@skyflo/protocol';
import { listedAnnotations, type AnyToolDefinition } from './contract/tool-definition.ts';
import { withToolDeps, type ToolDeps } from './deps/deps.ts';
import { allTools } from './catalogue.ts';
import { isCallable, runTool } from './tools/run-tool.ts';
import { schemaObject, strictSchemaObject } from './tools/schema-objects.ts';
import { toolError } from './contract/errors.ts';
import { applyOutputBudget } from './budgets/apply-output-budget.ts';
import { impersonatingDeps, readImpersonation } from './kube/impersonation.ts';
import { credentialExpired, readCredential, startCredentialCall } from './kube/call-credential.ts';
import { depsForContext } from './kube/context-deps.ts';
import { readJenkinsCredentials, withEngineJenkinsCredentials } from './tools/jenkins/engine-credentials.ts';
import { readObservabilitySources, withEngineObservabilitySources } from './tools/observability/data-sources.ts';
import type { ToolOutput } from './contract/tool-definition.ts';
import { isPreviewable } from './tools/preview/preview-tool-call.ts';
import { createPortForwards } from './port-forward/create-port-forwards.ts';
import { defaultConfirmMode, type ConfirmMode } from './confirm/confirm-mode.ts';
import { confirmToolCall, type Elicitor } from './confirm/confirm-tool-call.ts';
import { canAskInBand, confirmInBand, verifyConfirmState } from './confirm/confirm-in-band.ts';
import { canOpenUrl, clientNameOf, confirmThroughSkyflo, outcomeOf, propose, type EngineApprovals, type SessionUrlElicitor } from './confirm/confirm-through-skyflo.ts';
import { declaresTasks, externalCallTasks, isCreateTaskResult, tasksExtension, type RenderResult, type ToolNamed } from './confirm/external-call-tasks.ts';
import { externalCallHandles } from './confirm/external-call-handles.ts';
import { callerOf } from './confirm/confirm-in-band.ts';
import { validateInput } from './tools/run-tool.ts';
import { registerInvestigationPrompts } from './prompts/investigation-prompts.ts';
import { registerClusterResources } from './resources/cluster-resources.ts';
import { createClusterCompletions } from './completions/cluster-completions.ts';

function tagsOf(definition: AnyToolDefinition<ToolDeps>): string[] {
  return [...(definition.toolset ? [definition.toolset] : []), ...(definition.tags ?? [])];
}

export interface CreateMcpServerOptions {
  deps: ToolDeps;
  /** overrides deps.settings.readOnly when given */
  readOnly?: boolean;
  /** defaults to the full catalogue */
  tools?: AnyToolDefinition<ToolDeps>[];
  /**
   * The caller is the engine itself (in-process, or HTTP with the server's auth token): it may ask a call to act as
   * someone else (`_meta["skyflo.ai/impersonate"]`, EXECUTE_AS_APPROVER) and hand over the Jenkins credentials of
   * an integration it keeps (`_meta["skyflo.ai/jenkins-credentials"]`). Anyone else asking is refused.
   */
  trustedCaller?: boolean;
  /**
   * What happens when a caller other than the engine (trustedCaller) calls a tool that is not read-only:
   * ask the human through MCP elicitation (default; refused when the client cannot elicit), refuse, or run.
   */
  confirm?: ConfirmMode;
  /** --confirm=skyflo: the engine whose approval gate decides direct clients' changes (confirm-through-skyflo.ts) */
  engineApprovals?: EngineApprovals;
}

/** A human may take a while to read a diff; the SDK's default request timeout (60 s) is too short for that. */
const elicitationTimeoutMs = 10 * 60_000;

export const SERVER_INFO = { name: 'skyflo-mcp', version: '0.1.0' } as const;

export function createMcpServer(options: CreateMcpServerOptions): McpServer {
  const readOnly = options.readOnly ?? options.deps.settings.readOnly;
  // Forwards belong to whoever made the registry: one made here lives and dies with this server.
  const ownPortForwards = options.deps.portForwards ? undefined : createPortForwards({ runner: options.deps.runner });
  const deps: ToolDeps = withToolDeps(options.deps, { settings: { ...options.deps.settings, readOnly }, portForwards: options.deps.portForwards ?? ownPortForwards });
  // prompts and resources (issue 39): what desktop MCP clients offer besides tools
  // requestState: the sealed question of a 2026-07-28 confirmation, checked before any tool runs (confirm-in-band.ts)
  const confirmMode = options.confirm ?? defaultConfirmMode;
  // --confirm=skyflo with an engine: a client that declares the tasks extension waits for the approval on a task
  const tasks = confirmMode === 'skyflo' && options.engineApprovals && !options.trustedCaller ? externalCallTasks(options.engineApprovals) : undefined;
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, prompts: {}, resources: {}, ...(tasks ? { extensions: { [tasksExtension]: {} } } : {}) },
    // --confirm=skyflo's states are sealed with a key every replica shares (external-call-handles.ts)
    requestState: { verify: (state, ctx) => verifyConfirmState(state, ctx, options.engineApprovals ? externalCallHandles(options.engineApprovals).verifyRequestState : undefined) },
  });
  if (ownPortForwards) server.server.onclose = () => ownPortForwards.closeAll();
  const tools = options.tools ?? allTools;
  const previewTool = tools.find((definition) => definition.name === previewToolCallName);
  const canPreview = previewTool !== undefined;
  /** A tool's answer as a CallToolResult (also a completed task's `result`). */
  const render = (definition: AnyToolDefinition<ToolDeps>, output: ToolOutput): CallToolResult => {
    const content = [{ type: 'text' as const, text: output.text }];
    if (output.isError) {
      // Failures carry no structuredContent (the spec asks for it on success); their machine-readable error
      // ({code, message, hint}) travels under our `_meta` key.
      return { content, isError: true, ...(output.structured ? { _meta: { [mcpMetaKeys.structured]: output.structured } } : {}) };
    }
    return { content, structuredContent: structuredContentOf(definition, output, deps.settings.outputBudgetBytes) };
  };
  // a task's handle names its tool; only one this server offers (and not read-only: only changes become tasks) counts
  if (tasks) registerTaskMethods(server, tasks, render, (name) => tools.find((definition) => definition.name === name && definition.annotations.readOnlyHint !== true));
  const listed: Tool[] = [];
  for (const definition of tools) {
    if (!isCallable(definition, readOnly)) continue;
    const registered = server.registerTool(
      definition.name,
      {
        title: definition.title,
        description: definition.description,
        // strict: an argument the tool does not have is refused (schema-objects.ts)
        inputSchema: strictSchemaObject(definition.inputSchema),
        outputSchema: schemaObject(definition.outputSchema),
        annotations: { title: definition.title, ...listedAnnotations(definition.annotations) },
        // Our own keys (@skyflo/protocol's mcpMetaKeys) share one prefix, `skyflo.ai/`, as the spec advises.
        _meta: {
          ...(definition.toolset ? { [mcpMetaKeys.toolset]: definition.toolset } : {}),
          [mcpMetaKeys.tags]: tagsOf(definition),
          // The preview tool's name is for people reading the listing; clients preview through
          // preview_tool_call, which maps the arguments server-side, so they need no copy of the mapping.
          ...(definition.preview ? { [mcpMetaKeys.previewTool]: definition.preview.tool } : {}),
          // Tools that resolve relative arguments or describe themselves go through preview_tool_call too.
          ...(isPreviewable(definition) && canPreview ? { [mcpMetaKeys.preview]: true } : {}),
          // the Kubernetes RBAC the tool needs (issue 39), from the table the operator grants its ClusterRoles from
          ...rbacMeta(definition.name),
        },
      },
      async (input: unknown, ctx: ServerContext) => traceServedToolCall(definition.name, ctx.mcpReq._meta, async () => {
        const meta = ctx.mcpReq._meta;
        const signal = ctx.mcpReq.signal;
        const progressToken = meta?.progressToken;
        const reportProgress =
          progressToken === undefined
            ? undefined
            : (progress: number, total?: number, message?: string) =>
                ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) } });
        const impersonation = readImpersonation(meta?.[mcpMetaKeys.impersonate]);
        const credential = readCredential(meta?.[mcpMetaKeys.credential]);
        const jenkinsCredentials = readJenkinsCredentials(meta?.[mcpMetaKeys.jenkinsCredentials]);
        const observabilitySources = readObservabilitySources(meta?.[mcpMetaKeys.observabilitySources]);
        let output: ToolOutput;
        if (typeof impersonation === 'string') output = toolError(impersonation, 'send {"user", "groups"}', 'INVALID_INPUT');
        else if (typeof credential === 'string') output = toolError(credential, undefined, 'INVALID_INPUT');
        else if (credential && !options.trustedCaller) {
          output = toolError(
            'This caller sent an approval credential with the call, which only the Skyflo engine\'s own connection may do.',
            'connect in-process or with the server\'s auth token (MCP_AUTH_TOKEN); nothing was run',
            'FORBIDDEN',
          );
        } else if (credential && impersonation) {
          output = toolError('A call runs either with an approval credential or as an impersonated identity, not both; nothing was run.', undefined, 'INVALID_INPUT');
        } else if (credential && credentialExpired(credential)) {
          output = toolError(`The credential of approval "${credential.approval}" expired at ${credential.expiresAt}; nothing was run.`, 'approve the change again', 'FORBIDDEN');
        }
        else if (typeof jenkinsCredentials === 'string') output = toolError(jenkinsCredentials, undefined, 'INVALID_INPUT');
        else if (typeof observabilitySources === 'string') output = toolError(observabilitySources, undefined, 'INVALID_INPUT');
        else if (observabilitySources && !options.trustedCaller) {
          output = toolError(
            'This caller sent Prometheus/Loki data sources with the call, which only the Skyflo engine\'s own connection may do.',
            'connect in-process or with the server\'s auth token (MCP_AUTH_TOKEN); nothing was run',
            'FORBIDDEN',
          );
        }
        else if (impersonation && !options.trustedCaller) {
          output = toolError(
            `This caller asked to act as "${impersonation.user}", which only the Skyflo engine's own connection may do.`,
            'connect in-process or with the server\'s auth token (MCP_AUTH_TOKEN); nothing was run',
            'FORBIDDEN',
          );
        } else if (jenkinsCredentials && !options.trustedCaller) {
          output = toolError(
            'This caller sent Jenkins credentials with the call, which only the Skyflo engine\'s own connection may do.',
            'connect in-process or with the server\'s auth token (MCP_AUTH_TOKEN), or use an integration Secret (credentials_ref); nothing was run',
            'FORBIDDEN',
          );
        } else if (!options.trustedCaller && definition.annotations.readOnlyHint !== true) {
          // A direct client's change: a human confirms it here (the engine's calls were approved by its own gate).
          const context = { signal, reportProgress };
          const elicitor: Elicitor = {
            // Asking mid-call is a server-to-client request, which exists only on a 2025-era connection (initialize,
            // then a session); a 2026-07-28 request is asked in band instead (confirm-in-band.ts).
            canElicit: () => ctx.mcpReq.envelope === undefined && Boolean(server.server.getClientCapabilities()?.elicitation),
            elicit: (params) => ctx.mcpReq.elicitInput(params, { signal, timeout: elicitationTimeoutMs }),
          };
          if (tasks && declaresTasks(ctx) && ctx.mcpReq.requestState() === undefined) {
            // A client that declared tasks: the call is proposed and answered with a task at once (external-call-tasks.ts).
            const parsed = validateInput(definition, input);
            if (!parsed.ok) return render(definition, parsed.output);
            const proposed = await propose(options.engineApprovals!, definition, (input ?? {}) as Record<string, unknown>, { name: clientNameOf(ctx), caller: callerOf(ctx) });
            if ('failed' in proposed) return render(definition, proposed.failed);
            const finished = outcomeOf(definition, proposed);
            if (finished) return render(definition, finished);
            return (await tasks.create({ definition, args: (input ?? {}) as Record<string, unknown>, state: proposed, canOpenUrl: canOpenUrl(ctx) }, ctx)) as unknown as CallToolResult;
          }
          if (confirmMode === 'skyflo') {
            // Issue 77 item 2: the engine's gate decides it; a person approves on the Command Center's page (URL mode).
            const session: SessionUrlElicitor = {
              // a 2025-11-25 session whose client declared URL elicitation is asked mid-call, as `elicit` asks a form
              canOpenUrl: () => (server.server.getClientCapabilities()?.elicitation as { url?: unknown } | undefined)?.url !== undefined,
              openUrl: (params) => ctx.mcpReq.elicitInput(params, { signal, timeout: elicitationTimeoutMs }),
              clientName: () => server.server.getClientVersion()?.name,
            };
            const handed = await confirmThroughSkyflo({ definition, input, engine: options.engineApprovals, session, legacyWaitMs: elicitationTimeoutMs }, ctx);
            if ('ask' in handed) return handed.ask;
            output = 'done' in handed ? handed.done : handed.output;
          } else {
            // A 2026-07-28 client that can elicit is asked in band: this call answers input_required, its retry carries the answer.
            const decision =
              confirmMode === 'elicit' && canAskInBand(ctx)
                ? await confirmInBand({ mode: confirmMode, definition, input, deps, context, elicitor, previewTool }, ctx)
                : await confirmToolCall({ mode: confirmMode, definition, input, deps, context, elicitor, previewTool });
            if ('ask' in decision) return decision.ask;
            output = decision.proceed ? await runTool(definition, decision.input, deps, context) : decision.output;
          }
        } else {
          let callDeps = impersonation ? impersonatingDeps(deps, impersonation) : deps;
          if (jenkinsCredentials) callDeps = withEngineJenkinsCredentials(callDeps, jenkinsCredentials);
          if (observabilitySources) callDeps = withEngineObservabilitySources(callDeps, observabilitySources);
          // Issue 34: the approval's own credential for this one call; its temporary kubeconfig is gone when the call ends.
          const credentialCall = credential ? await startCredentialCall(callDeps, credential, depsForContext).catch((error: unknown) => error as Error) : undefined;
          if (credentialCall instanceof Error) output = toolError(`The approval's credential could not be set up: ${credentialCall.message}; nothing was run.`, undefined, 'FAILED');
          else {
            try {
              output = await runTool(definition, input, credentialCall?.deps ?? callDeps, { signal, reportProgress, trustedCaller: options.trustedCaller === true });
            } finally {
              await credentialCall?.dispose();
            }
          }
        }
        return render(definition, output);
      }),
    );
    listed.push({ name: definition.name, title: registered.title, description: registered.description, ...listedSchemas(definition), annotations: registered.annotations, execution: registered.execution, _meta: registered._meta });
  }
  // The SDK's own tools/list handler converts every zod schema to JSON Schema on each call (~140 schemas here, a
  // large part of a cold start and of every new HTTP session); the schemas never change, so list them once.
  server.server.setRequestHandler('tools/list', () => ({ tools: listed }));
  const callable = tools.filter((definition) => isCallable(definition, readOnly));
  // Completions read cluster, namespace and workload names: offered only to a caller that could list them with k8s_get.
  const completions = callable.some((definition) => definition.name === 'k8s_get') ? createClusterCompletions(deps) : undefined;
  registerInvestigationPrompts(server, new Set(callable.filter((definition) => definition.annotations.readOnlyHint === true).map((definition) => definition.name)), completions);
  registerClusterResources(server, deps, callable);
  return server;
}

/**
 * The tasks extension's methods (external-call-tasks.ts). The SDK has no runtime for them on 2026-07-28 but lets a
 * server register `tasks/get` and `tasks/cancel` (the names the extension re-defines) and `tasks/update` with its
 * own parameter schemas. Its McpServer checks every tool result's structuredContent against the tool's outputSchema;
 * a CreateTaskResult has none by design, so that one check is skipped for it (the wire codec passes the `task`
 * result type through for tools/call).
 */
function registerTaskMethods(server: McpServer, tasks: ReturnType<typeof externalCallTasks>, render: RenderResult, toolNamed: ToolNamed): void {
  // a sealed handle (external-call-handles.ts): a few hundred characters
  const taskId = z.string().min(1).max(4096);
  server.server.setRequestHandler('tasks/get', { params: z.looseObject({ taskId }) }, (params, ctx) => tasks.get(params.taskId, ctx, render, toolNamed));
  server.server.setRequestHandler('tasks/update', { params: z.looseObject({ taskId }) }, (params, ctx) => tasks.update(params.taskId, ctx, toolNamed));
  server.server.setRequestHandler('tasks/cancel', { params: z.looseObject({ taskId }) }, (params, ctx) => tasks.cancel(params.taskId, ctx, toolNamed));
  const sdk = server as unknown as { validateToolOutput(tool: unknown, result: unknown, name: string): Promise<void> };
  const validate = sdk.validateToolOutput.bind(server);
  sdk.validateToolOutput = async (tool, result, name) => (isCreateTaskResult(result) ? undefined : validate(tool, result, name));
}

function rbacMeta(toolName: string): Record<string, unknown> {
  const rules = toolRbacRules(toolName);
  return rules ? { [mcpMetaKeys.rbac]: rules } : {};
}

/**
 * JSON schemas per tool definition, converted once per process by zod (as the SDK's converter does), as JSON Schema 2020-12 (the
 * dialect MCP 2025-11-25 makes the default; each schema says so in `$schema`). Inputs are strict objects
 * (`additionalProperties: false`), as the server validates them.
 */
const jsonSchemas = new WeakMap<AnyToolDefinition<ToolDeps>, Pick<Tool, 'inputSchema' | 'outputSchema'>>();

/**
 * The SDK's client (1.32) checks structuredContent with a draft-07 validator whatever `$schema` says, and draft-07
 * reads a 2020-12 tuple's `items: false` as "no items at all", failing every result with a tuple in it. The tuple's
 * minItems/maxItems already say what `items: false` says, so it is left out: the same schema in 2020-12, and one
 * draft-07 validators accept.
 */
function sameUnderDraft07(context: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const definition = (context.zodSchema as { _zod?: { def?: { type?: string; rest?: unknown } } })._zod?.def;
  if (definition?.type === 'tuple' && !definition.rest && context.jsonSchema['items'] === false) delete context.jsonSchema['items'];
}

function listedSchemas(definition: AnyToolDefinition<ToolDeps>): Pick<Tool, 'inputSchema' | 'outputSchema'> {
  let schemas = jsonSchemas.get(definition);
  if (!schemas) {
    schemas = {
      inputSchema: z.toJSONSchema(strictSchemaObject(definition.inputSchema), { target: 'draft-2020-12', io: 'input', override: sameUnderDraft07 }) as Tool['inputSchema'],
      outputSchema: z.toJSONSchema(z.object(definition.outputSchema), { target: 'draft-2020-12', io: 'output', override: sameUnderDraft07 }) as Tool['outputSchema'],
    };
    jsonSchemas.set(definition, schemas);
  }
  return schemas;
}

/**
 * The success result as structuredContent: the tool's `structured` plus `text`, reduced to the fields its
 * outputSchema declares (a strict client rejects undeclared ones). A mismatch is sent as is, so the SDK's own
 * output validation reports the tool's bug instead of this hiding it.
 */
function structuredContentOf(definition: AnyToolDefinition<ToolDeps>, output: ToolOutput, budgetBytes: number): Record<string, unknown> {
  // `structured` is already within the budget (run-tool.ts), with the caller's verbatim fields that must not be
  // cut; `text` gets what is left of the budget, since it often repeats a diff that is already there.
  const structured = output.structured ?? {};
  const left = budgetBytes - Buffer.byteLength(JSON.stringify(structured), 'utf8');
  const fits = Buffer.byteLength(output.text, 'utf8') <= left;
  const text = fits
    ? output.text
    : left > 512
      ? applyOutputBudget(output.text, { budgetBytes: left - 64, kind: 'text', hint: 'the content block has the full text.' })
      : '(see the content block: the fields above used the output budget)';
  const raw = { ...structured, text, ...(fits ? {} : { truncated: true }) };
  const parsed = schemaObject(definition.outputSchema).safeParse(raw);
  return parsed.success ? (parsed.data as Record<string, unknown>) : raw;
}

export interface CatalogueEntry {
  name: string;
  title: string;
  description: string;
  annotations: AnyToolDefinition['annotations'];
  /** absent for toolset-neutral tools (preview_tool_call) */
  toolset?: AnyToolDefinition['toolset'];
  tags: string[];
  /** the read-only tool that previews this one, if any */
  preview?: string;
  /** preview_tool_call accepts this tool (it has a preview tool, resolves its arguments, or describes itself) */
  previewable: boolean;
  inputSchema: Record<string, unknown>;
  /** JSON schema of the structured result (structuredContent) */
  outputSchema: Record<string, unknown>;
}

/** The catalogue as the engine sees it (JSON schemas, annotations, tags), honouring read-only mode. */
export function listToolCatalogue(options: { readOnly?: boolean; tools?: AnyToolDefinition<ToolDeps>[] } = {}): CatalogueEntry[] {
  return (options.tools ?? allTools)
    .filter((definition) => isCallable(definition, options.readOnly ?? false))
    .map((definition) => ({
      name: definition.name,
      title: definition.title,
      description: definition.description,
      annotations: listedAnnotations(definition.annotations),
      ...(definition.toolset ? { toolset: definition.toolset } : {}),
      tags: tagsOf(definition),
      ...(definition.preview ? { preview: definition.preview.tool } : {}),
      previewable: isPreviewable(definition),
      inputSchema: z.toJSONSchema(z.object(definition.inputSchema), { io: 'input' }) as Record<string, unknown>,
      outputSchema: z.toJSONSchema(z.object(definition.outputSchema), { io: 'output' }) as Record<string, unknown>,
    }));
}
