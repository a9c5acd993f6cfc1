/**
 * The model's tool set (the AI SDK's `Record<string, Tool>`), kept between runs instead of rebuilt on every model
 * turn (issue 38, goal 2): converting every exposed tool's schema — scope rewriting, Jenkins stripping, `jsonSchema`
 * wrappers — costs CPU on each run start for a result that only changes when one of its inputs does.
 *
 * The key is everything `exposeTools` and `toModelTools` read, and nothing is shared across keys: a member limited to
 * namespaces must never be handed an admin's (or another member's) tool set, so the requester's whole scope and the
 * schema scope derived from it are part of the key, next to the loaded toolsets and the Jenkins / observability
 * availability. The catalogue's version is its identity: the tool gateway returns the same array while its listing is
 * cached and a new array when it lists again, so a WeakMap on the array drops every set built from an old listing.
 */
import type { MemberScope } from '@skyflo/protocol';
import type { Tool } from 'ai';
import type { ToolInfo } from '../../platform/ports/tool-gateway.ts';
import { exposeTools, externalToolsetsOf, toModelTools, type ToolScope } from './tool-exposure.ts';

export interface ModelToolInputs {
  catalogue: ToolInfo[];
  loaded: Record<string, boolean>;
  jenkinsAvailable: boolean;
  observabilityAvailable: boolean;
  /** the requester's scope (undefined: unlimited) */
  scope: MemberScope | undefined;
  /** the scope written into the schemas (toolScopeFor) */
  toolScope: ToolScope | undefined;
}

export interface ModelToolCache {
  /** The tool set for these inputs: the one built before for the same inputs, or a new one. Callers must not mutate it. */
  toolsFor(inputs: ModelToolInputs): Record<string, Tool>;
}

/** Sets per catalogue: enough for every (toolsets × scope) mix a team uses; past it the oldest is dropped. */
const maxSetsPerCatalogue = 256;

/** A stable text for a value: object keys sorted, so `{a, b}` and `{b, a}` are one key. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

export function modelToolKey(inputs: Omit<ModelToolInputs, 'catalogue'>): string {
  return canonical([inputs.loaded, inputs.jenkinsAvailable, inputs.observabilityAvailable, inputs.scope ?? null, inputs.toolScope ?? null]);
}

export function createModelToolCache(): ModelToolCache {
  const byCatalogue = new WeakMap<ToolInfo[], Map<string, Record<string, Tool>>>();
  return {
    toolsFor(inputs) {
      let sets = byCatalogue.get(inputs.catalogue);
      if (!sets) byCatalogue.set(inputs.catalogue, (sets = new Map()));
      const key = modelToolKey(inputs);
      const cached = sets.get(key);
      if (cached) return cached;
      const exposed = exposeTools(inputs.catalogue, inputs.loaded, {
        jenkinsAvailable: inputs.jenkinsAvailable,
        observabilityAvailable: inputs.observabilityAvailable,
        scope: inputs.scope,
      });
      // issue 39: external MCP servers' toolsets are loadable too; the gateway hands a new catalogue array whenever an
      // external server's catalogue version changes, so its sets are built again then
      const tools = toModelTools(exposed, inputs.toolScope, externalToolsetsOf(inputs.catalogue));
      if (sets.size >= maxSetsPerCatalogue) sets.delete(sets.keys().next().value!);
      sets.set(key, tools);
      return tools;
    },
  };
}
