/**
 * Which of the repository's packages may import which, and whether an import crosses into another package by relative
 * path (a "reach-in") instead of through that package's name and "exports". The rules themselves, and why, are in
 * docs/adr/0007-package-boundaries.md; scripts/test/package-boundaries.test.ts holds the table and fails on an edge
 * it does not allow. Type-only imports count here (unlike the cycle check): a type is still a dependency of the source.
 */
import path from 'node:path';
import { findCycles, listSourceFiles, readImports, resolveImport } from './import-cycles.ts';

/**
 * The unit a file belongs to: `protocol`, `engine`… for packages/<name>/src, `engine/testing`… for the helpers a
 * package exports as `./testing` (src/testing), `engine/test`… for a package's own suites, `testkit`, `evals`
 * (evals/src), `evals/test`, and `bench`, `e2e`, `scripts`. Undefined outside all of them.
 */
export function unitOf(root: string, file: string): string | undefined {
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (relative.startsWith('..')) return undefined;
  const packageMatch = /^packages\/([^/]+)\/(src\/testing|src|test)\//.exec(relative);
  if (packageMatch) return packageMatch[2] === 'src' ? packageMatch[1]! : `${packageMatch[1]}/${packageMatch[2] === 'test' ? 'test' : 'testing'}`;
  const [top, second] = relative.split('/');
  if (top === 'evals') return second === 'test' ? 'evals/test' : 'evals';
  if (top === 'testkit' || top === 'bench' || top === 'e2e' || top === 'scripts') return top;
  return undefined;
}

/** The package a unit is part of (`engine/test`, `engine/testing` → `engine`); bench, e2e and scripts are their own. */
export function packageOfUnit(unit: string): string {
  return unit.split('/')[0]!;
}

/**
 * What an import of `unit` depends on, as the allowed-imports table names it: a package's suites stand for the
 * package, but its `./testing` helpers stay `<name>/testing`, so product code cannot import them unless listed.
 */
export function dependencyName(unit: string): string {
  return unit.endsWith('/test') ? packageOfUnit(unit) : unit;
}

const notPackages = new Set(['bench', 'e2e', 'scripts']);

export interface UnitImport {
  /** file paths relative to the root */
  from: string;
  to: string;
  fromUnit: string;
  toUnit: string;
  specifier: string;
  typeOnly: boolean;
}

/** Every import between two different units under `sourceDirs`. */
export function listCrossUnitImports(root: string, sourceDirs: string[]): UnitImport[] {
  const found: UnitImport[] = [];
  for (const file of listSourceFiles(root, sourceDirs)) {
    const fromUnit = unitOf(root, file);
    if (!fromUnit) continue;
    for (const { specifier, typeOnly } of readImports(file)) {
      const target = resolveImport(specifier, file);
      if (!target) continue;
      const toUnit = unitOf(root, target);
      if (!toUnit || toUnit === fromUnit) continue;
      const relative = (absolute: string) => path.relative(root, absolute).split(path.sep).join('/');
      found.push({ from: relative(file), to: relative(target), fromUnit, toUnit, specifier, typeOnly });
    }
  }
  return found;
}

/**
 * An import into another package written as a relative path: it skips that package's "exports", so nothing says the
 * module is meant for use outside it. (bench/, e2e/ and scripts/ are not packages: reaching them by path is fine.)
 */
export function isReachIn(edge: UnitImport): boolean {
  return edge.specifier.startsWith('.') && packageOfUnit(edge.fromUnit) !== packageOfUnit(edge.toUnit) && !notPackages.has(packageOfUnit(edge.toUnit));
}

/**
 * The edges a table of allowed imports does not allow. Only units named in the table are checked (a unit listed with
 * [] may import nothing of ours); imports within one package are always allowed.
 */
export function disallowedImports(edges: UnitImport[], allowed: Readonly<Record<string, readonly string[]>>): UnitImport[] {
  return edges.filter((edge) => {
    const permitted = allowed[edge.fromUnit];
    if (!permitted || packageOfUnit(edge.fromUnit) === packageOfUnit(edge.toUnit)) return false;
    return !permitted.includes(dependencyName(edge.toUnit));
  });
}

/**
 * The engine's floors (issue 80): `packages/engine/src` is five folders and the composition around them, top first.
 * A floor imports the floors below it, never one above; only the composition (the root files and `modules/`) imports
 * `adapters/`. Why this order:
 *   - the composition roots (create-engine.ts, main.ts, index.ts; `testing` for the suites) and `modules/` (one file
 *     per capability: builds its services from the floors below, returns its routes and close; `modules/startup`
 *     builds the engine in stages) wire everything, and are the only importers of `adapters/`;
 *   - `http/` is the outermost edge: routes call the services of `app/`, never an adapter (they get them as ports);
 *   - `adapters/` implement the ports with a technology: `storage/` (Drizzle on PGlite or Postgres, the checkpoints),
 *     `bus/` (in-process or Redis), `mcp/` (the MCP client to Skyflo's tool server), `llm/` (the AI SDK providers),
 *     `chat/` (Slack and Teams behind the one chat-approval port of app/integrations/chat-approvals);
 *   - `app/` holds the use cases: the agent (chat, decide, stop, undo), the LangGraph graph, team events, alerts,
 *     integrations, accounts, analytics, runbooks, schedules, settings;
 *   - `domain/` holds the rules with no framework under them: a tool call's life (tool-calls/ and its core/), clusters,
 *     passkeys, policies, freezes, the emergency stop, the audit chain, the timeline, prompts, what a tool is;
 *   - `platform/` is what every floor shares and imports nothing above it: ports (the interfaces adapters implement),
 *     errors, config, crypto, observability, storage faults, abort helpers.
 */
export const engineFloors: readonly (readonly string[])[] = [['(root)', 'testing'], ['modules'], ['http'], ['adapters'], ['app'], ['domain'], ['platform']];

/** The floors with folders inside: a folder of the engine is named `<floor>/<folder>` (folderOf). */
export const engineFloorFolders = ['adapters', 'app', 'domain', 'platform'];

/** Imports a floor must never make, whatever the order says: routes reach adapters only through the ports modules/ pass them. */
export const engineForbiddenFloorImports: Readonly<Record<string, readonly string[]>> = { http: ['adapters'] };

/**
 * Packages a floor never imports (issue 80): the domain imports no framework (the web server, the ORM and drivers,
 * LangGraph, the bus's client, the MCP SDK) — a rule that needs one of them is an app or an adapter; the platform's
 * ports are not written in an adapter's types (no ORM, driver, LangGraph, Redis client or MCP SDK); the app and the
 * routes reach the database and Redis only through ports (the graph's LangGraph and the external MCP servers' client
 * are the app's own).
 */
const orm = [/^drizzle-orm/, /^pg$/, /^@electric-sql\//, /^ioredis$/];
export const floorForbiddenPackages: Readonly<Record<string, readonly RegExp[]>> = {
  domain: [/^fastify$/, /^@fastify\//, ...orm, /^@langchain\//, /^@modelcontextprotocol\//],
  platform: [...orm, /^@langchain\//, /^@modelcontextprotocol\//],
  app: orm,
  http: orm,
};

/**
 * Inside the floors: the engine's folders in layers, top first, each named `<floor>/<folder>`. A folder imports the
 * folders of the layers below it; folders of one layer are peers. An import into a higher layer is an arrow back up:
 * the test fails above `maxEngineBackArrows`, and a folder missing from the table fails it too (place a new folder on
 * purpose). The order follows the floors, and inside them:
 *   - adapters: `chat` (Slack, Teams) renders the cards of app/integrations/chat-approvals, above the other adapters;
 *   - app: the team features (`team-events`, `alerts`, `integrations`, `schedules`) react to runs and drive the agent
 *     (an alert starts an investigation, Slack decides calls): peers above the agent, since they compose each other;
 *     `accounts`, `analytics`, `llm-settings`, `public-url` and `declared` (guardrails declared in the cluster or in
 *     files) are services the routes use; then `agent` (use cases) → `graph` (LangGraph: model node, gate node) →
 *     `model-calls` (retries and errors of a model call), `runbooks`, `incident-memory` (what the model node reads);
 *   - domain: `prompts` → `tool-calls` (a tool call's life) → `clusters`, `passkeys`, `policies`, `freezes`,
 *     `emergency-stop`, `tools` (where a call runs, who may decide it, what a tool is) → `audit`, `timeline`;
 *   - platform: `observability` (metrics, logs, trace spans), `memory`, `crypto`, `config`, `storage-faults`, `abort`, `reads` (one read shared by the callers that ask while it is in flight)
 *     → `ports`, `errors` (the interfaces and error base everything shares).
 */
export const engineLayers: readonly (readonly string[])[] = [
  ['(root)', 'testing'],
  ['modules'],
  ['http'],
  ['adapters/chat'],
  ['adapters/mcp', 'adapters/llm', 'adapters/storage', 'adapters/bus'],
  ['app/team-events', 'app/alerts', 'app/integrations', 'app/schedules'],
  ['app/accounts', 'app/analytics', 'app/llm-settings', 'app/public-url', 'app/declared'],
  ['app/agent'],
  ['app/graph'],
  ['app/model-calls', 'app/runbooks', 'app/incident-memory'],
  ['domain/prompts'],
  ['domain/tool-calls'],
  ['domain/clusters', 'domain/passkeys', 'domain/policies', 'domain/emergency-stop', 'domain/freezes', 'domain/tools'],
  ['domain/audit', 'domain/timeline'],
  ['platform/observability', 'platform/memory', 'platform/crypto', 'platform/config', 'platform/storage-faults', 'platform/abort', 'platform/reads'],
  ['platform/ports', 'platform/errors'],
];

/**
 * Arrows back up between the engine's folders the test tolerates: none (issue 33: 16 before tool-calls/ had a home;
 * issue 80: the last four went when their misplaced helpers moved down and team-features.ts into modules/).
 */
export const maxEngineBackArrows = 0;

/** Folders that must never import some others, whatever the layers say: the tool calls know no graph, agent or HTTP. */
export const engineForbiddenImports: Readonly<Record<string, readonly string[]>> = {
  'domain/tool-calls': ['app/graph', 'app/agent', 'http'],
};

/**
 * Inside the engine's tool-calls/ (issue 80 item 2): its folders in layers, top first, read like engineLayers (no
 * arrow back up, no folder cycle). Why this order:
 *   - `(root)`: run-calls.ts takes one model turn's calls through their life (proposes some, executes the decided);
 *   - `undo`: the Undo of an executed call, proposed as a new call in a new run (it goes through the whole life again);
 *   - `execute`: an approved call claimed, checked again and run, with its before-state recorded and the change verified
 *     right after, in the same run: so above `verify`;
 *   - `verify`: whether the change held, and (auto-revert.ts) the inverse run when it regressed with automatic revert
 *     chosen — itself previewed as the proposals are, so above `propose`; also resumed after a restart;
 *   - `propose`: whether a call needs approval, its preview, seal and record, with what the card says about who may
 *     decide it (a second person, a freeze holding it): so above `decide`;
 *   - `decide`: who may decide a call, pure ordered rules (auto-revert-rules.ts too: whether an automatic revert may run
 *     on its own, asked when deciding, on the card and when the revert is due);
 *   - `core`: what every stage shares: the ports (deps.ts), the gate's tools and texts (gate-tools.ts), the inspector,
 *     the args hash and seal, the before-state and its inverse (baseline.ts, sealed-inverse.ts), cluster enforcement.
 */
export const toolCallStages: readonly (readonly string[])[] = [['(root)'], ['undo'], ['execute'], ['verify'], ['propose'], ['decide'], ['core']];

/**
 * Inside the MCP server (packages/mcp-server/src): its folders in layers, top first, read like engineLayers (issue 80
 * item 3: no arrow back up, no folder cycle). Why this order:
 *   - the composition roots (src/: create-mcp-server.ts, create-tool-deps.ts, start-mcp-http-server.ts, catalogue.ts —
 *     the list of every tool, verification tools included —, index.ts, main.ts; `testing` for the suites) wire everything;
 *   - `config` reads the process's settings (server-config.ts) into the options of confirmation and the HTTP transport;
 *   - the MCP surfaces beside the tools, which the roots mount: `http` (bearer and OAuth checks, readiness, session
 *     store), `confirm` (how a change is confirmed: in band, through Skyflo), `resources` and `prompts`;
 *   - `completions` (argument completions for the resources and prompts: cluster names, namespaces);
 *   - `verify` builds the verification tools from the tool families' helpers (rollouts, helm, Jenkins), so above `tools`;
 *   - `tools` (the tool families, preview, run-tool, approved-access.ts: what a tool call may touch) runs on everything
 *     below; `risk` (what preview reports a change does to its controllers) reads the cluster through `kube`;
 *   - `kube` (the clusters, API clients, impersonation, the credentials a call brings) takes the ToolDeps bag of `deps`;
 *   - `deps` (ToolDeps: the ports every tool runs with, and the cluster registry's interface it names) names the runner
 *     of `exec` and the forwards of `port-forward`, below it;
 *   - `port-forward` → `exec` (the only way a process starts) → `contract` (what a tool is and returns, and how it
 *     fails: ToolInputError) and `budgets` (cutting a result to its byte budget): plain, importing nothing of ours.
 */
export const mcpServerLayers: readonly (readonly string[])[] = [
  ['(root)', 'testing'],
  ['config'],
  ['http', 'confirm', 'resources', 'prompts'],
  ['completions'],
  ['verify'],
  ['tools'],
  ['risk'],
  ['kube'],
  ['deps'],
  ['port-forward'],
  ['exec'],
  ['contract', 'budgets'],
];

export interface FolderImport {
  /** file path relative to the source folder */
  from: string;
  fromFolder: string;
  toFolder: string;
  specifier: string;
  typeOnly: boolean;
}

/**
 * The folder of a file under `srcDir`: its first path segment, or `(root)` for a file directly in it; inside one of
 * `floors`, the floor and the folder under it (`app/agent`).
 */
export function folderOf(srcDir: string, file: string, floors: readonly string[] = []): string | undefined {
  const relative = path.relative(srcDir, file).split(path.sep).join('/');
  if (relative.startsWith('..')) return undefined;
  const parts = relative.split('/');
  if (parts.length === 1) return '(root)';
  return floors.includes(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The floor of a folder named by folderOf: `app/agent` → `app`, `http` → `http`. */
export function floorOf(folder: string): string {
  return folder.split('/')[0]!;
}

/** Every import (type-only ones included) from one folder of `srcDir` (relative to `root`) into another. */
export function listFolderImports(root: string, srcDir: string, floors: readonly string[] = []): FolderImport[] {
  const absolute = path.join(root, srcDir);
  const found: FolderImport[] = [];
  for (const file of listSourceFiles(root, [srcDir])) {
    // A test beside its source is not part of the product's dependency graph: it may build its case from any layer.
    if (file.endsWith('.test.ts')) continue;
    const fromFolder = folderOf(absolute, file, floors)!;
    for (const { specifier, typeOnly } of readImports(file)) {
      const target = resolveImport(specifier, file);
      const toFolder = target ? folderOf(absolute, target, floors) : undefined;
      if (!toFolder || toFolder === fromFolder) continue;
      found.push({ from: path.relative(absolute, file).split(path.sep).join('/'), fromFolder, toFolder, specifier, typeOnly });
    }
  }
  return found;
}

export interface LayerReport {
  /** folders imported or importing that no layer names */
  unplaced: string[];
  /** `from → to` between folders, one per pair, where `to` is in a higher layer; with the imports that make it */
  backArrows: { arrow: string; imports: FolderImport[] }[];
  /** imports a folder must never make (engineForbiddenImports) */
  forbidden: FolderImport[];
}

export function checkLayers(imports: FolderImport[], layers: readonly (readonly string[])[], forbiddenImports: Readonly<Record<string, readonly string[]>> = {}): LayerReport {
  const layerOf = new Map<string, number>();
  layers.forEach((folders, index) => folders.forEach((folder) => layerOf.set(folder, index)));
  const unplaced = new Set<string>();
  const back = new Map<string, FolderImport[]>();
  for (const edge of imports) {
    const from = layerOf.get(edge.fromFolder);
    const to = layerOf.get(edge.toFolder);
    if (from === undefined) unplaced.add(edge.fromFolder);
    if (to === undefined) unplaced.add(edge.toFolder);
    if (from === undefined || to === undefined || to >= from) continue;
    const arrow = `${edge.fromFolder} → ${edge.toFolder}`;
    back.set(arrow, [...(back.get(arrow) ?? []), edge]);
  }
  return {
    unplaced: [...unplaced].sort(),
    backArrows: [...back].sort(([a], [b]) => a.localeCompare(b)).map(([arrow, edges]) => ({ arrow, imports: edges })),
    forbidden: imports.filter((edge) => forbiddenImports[edge.fromFolder]?.includes(edge.toFolder)),
  };
}

/**
 * The import cycles between folders: each strongly connected component of more than one folder (import-cycles.ts's
 * Tarjan over the folder graph), its folders sorted, the components sorted. Layers alone allow a cycle among peers of
 * one layer; this finds it.
 */
export function folderCycles(imports: readonly FolderImport[]): string[][] {
  const targets = new Map<string, Set<string>>();
  for (const edge of imports) targets.set(edge.fromFolder, (targets.get(edge.fromFolder) ?? new Set()).add(edge.toFolder));
  return findCycles({ edges: new Map([...targets].map(([folder, to]) => [folder, [...to].sort()])) });
}
