/**
 * The shape every tool in the catalogue has. One tool per file (k8s_get → tools/kubectl/k8s-get.ts);
 * each family's index.ts exports an array of these. The server registers them with the MCP SDK, the
 * engine lists them, and the approval gate reads the annotations (anything not readOnlyHint: true is gated).
 */
import type { z } from 'zod';
import type { DeclaredToolAnnotations, ManifestObjectRef, Toolset } from '@skyflo/protocol';

// The toolsets and the annotations every tool declares are part of the engine ↔ MCP contract (@skyflo/protocol).
export type { Toolset } from '@skyflo/protocol';
/** The hints a tool declares; the reason for each tool's destructiveHint is in test/tools/catalogue-contract.test.ts. */
export type ToolAnnotations = DeclaredToolAnnotations;

/**
 * The annotations as listed: all four hints explicit. MCP clients read an absent openWorldHint as true, but
 * most tools here only talk to the cluster, so leaving it out would tell clients the opposite of the truth.
 */
export function listedAnnotations(annotations: ToolAnnotations): Required<ToolAnnotations> {
  return { openWorldHint: false, ...annotations };
}

/** A successful or failed tool result as the model will see it. Failures are results, not exceptions. */
export interface ToolOutput {
  text: string;
  isError?: boolean;
  /** machine-readable extras (e.g. the diff of a dry-run) that the engine may use; never secrets */
  structured?: Record<string, unknown>;
  /**
   * Fields merged into `structured` after redaction and budgets, byte for byte. Only for values the caller
   * sent itself (preview_tool_call's resolved_arguments): redacting or cutting them would change what the
   * engine executes, and echoing a caller's own arguments back to it discloses nothing new.
   */
  verbatim?: Record<string, unknown>;
}

/** What a tool's `resolve` hook made absolute before approval. */
export interface ToolCallResolution {
  /** arguments to add or replace on the caller's arguments (e.g. {to_revision: 3}); {} when nothing was relative */
  set: Record<string, unknown>;
  /** one human-readable line per resolved argument, e.g. "to_revision: previous → 3 (image nginx:1.27)" */
  notes: string[];
  /** the exact artifact the call will use, e.g. a pinned Helm chart archive "sha256:<hex>" */
  artifactDigest?: string;
}

/** A built-in preview for a mutating tool that has no read-only preview tool (argo_undo, jenkins_stop_build…). */
export interface ToolCallDescription {
  /** the preview text: deterministic for unchanged state, different when the target changed */
  text: string;
  /** a unified diff when the change has one ('' otherwise) */
  diff: string;
  changed: boolean;
  /** the Kubernetes objects the call writes or deletes, when it knows them (helm_uninstall: the release's) */
  objects?: ManifestObjectRef[];
  /** issue 73, the engine's own connection only: what the cluster's executor binds the call to (helm_uninstall: live_manifest, helm_storage) */
  bound?: Record<string, unknown>;
}

export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape, Deps = unknown> {
  /** wire name, e.g. 'k8s_get' */
  name: string;
  title: string;
  description: string;
  /** the family the engine loads it with; absent for toolset-neutral tools such as preview_tool_call */
  toolset?: Toolset;
  /** extra tags besides the toolset (e.g. 'metrics', 'diff') */
  tags?: string[];
  inputSchema: Shape;
  annotations: ToolAnnotations;
  /**
   * For a mutating tool, the name of the read-only tool that previews it (e.g. k8s_scale → k8s_diff),
   * and how to map this tool's arguments onto the preview tool's arguments. The engine calls it before asking for approval.
   */
  preview?: { tool: string; mapArguments: (input: z.infer<z.ZodObject<Shape>>) => Record<string, unknown> };
  /**
   * Turns relative arguments into absolute ones before approval (the previous revision → its number, the
   * latest chart version → the exact version and a pinned archive, "lastBuild" → a build number). Run by
   * preview_tool_call before the preview; resolving already-resolved arguments must change nothing.
   */
  resolve?: (input: z.infer<z.ZodObject<Shape>>, deps: Deps, context: ToolCallContext) => Promise<ToolCallResolution>;
  /** For a mutating tool without a preview tool: what the (resolved) call would do, read-only. */
  describeCall?: (input: z.infer<z.ZodObject<Shape>>, deps: Deps, context: ToolCallContext) => Promise<ToolCallDescription>;
  /**
   * A zod shape of the success result as MCP structuredContent: `structured` plus `text` (see tools/output-shapes.ts).
   * Required: MCP clients that check schemas (the Inspector, the SDK client) expect every tool to declare one.
   */
  outputSchema: z.ZodRawShape;
  handler: (input: z.infer<z.ZodObject<Shape>>, deps: Deps, context: ToolCallContext) => Promise<ToolOutput>;
}

export interface ToolCallContext {
  /** aborted when the MCP client cancels the request or the engine stops the run */
  signal: AbortSignal;
  /** Optional progress reporting for slow tools (MCP progress notifications). */
  reportProgress?: (progress: number, total?: number, message?: string) => Promise<void>;
  /** The caller is the engine's own connection (see CreateMcpServerOptions.trustedCaller); unset for anyone else. */
  trustedCaller?: boolean;
}

/** Identity helper that keeps each tool's input type precise while letting families be plain arrays. */
export function defineTool<Shape extends z.ZodRawShape, Deps>(definition: ToolDefinition<Shape, Deps>): ToolDefinition<Shape, Deps> {
  return definition;
}

/** A family's array type: the shapes differ per tool, so the array erases them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyToolDefinition<Deps = unknown> = ToolDefinition<any, Deps>;
