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
 * Inside the engine: its folders in layers, top first. A folder imports the folders of the layers below it; folders
 * of one layer are peers and may import each other. An import into a higher layer is an arrow back up: the test
 * prints how many there are and fails above `maxEngineBackArrows`, and a folder missing from the table fails it too
 * (place a new folder on purpose). Why this order:
 *   - the composition roots (create-engine.ts and the other files at src/, `testing` for the suites) wire everything;
 *   - `modules` builds one capability each for create-engine.ts from the folders below (accounts, passkeys,
 *     guardrails, clusters, agent, integrations, schedules, audit, observability, team features…: its services, routes
 *     and close) — composition too, so nothing but the root imports it;
 *   - `startup` builds the engine in stages (lazy dependencies, the deferred agent service), so it sits above what it builds;
 *   - `http` is the outermost adapter: routes call the services below, never the other way round;
 *   - the team features (`team-events`, `alerts`, `integrations`) react to runs and drive the agent (an alert
 *     starts an investigation, Slack decides calls): peers above the agent, since they compose each other;
 *   - `accounts`, `analytics`, `llm-settings`, `public-url`: services the routes use, below the team features; beside
 *     them `declared` (policies, freezes and schedules declared in the cluster or in files, kept by the services below);
 *   - `observability` (metrics, logs, and the trace spans every layer opens, issue 39) sits beside `config`, low enough
 *     for the agent, graph, tool-calls and mcp to open spans in it;
 *   - `agent` (use cases: chat, decide, stop, undo) → `graph` (LangGraph: model node, gate node) → `llm`, `prompts`, `runbooks`
 *     (what the model node calls and says) → `tool-calls` (a tool call's life, no LangGraph, no Fastify) →
 *     `clusters`, `mcp` (where a call runs and through what) → storage and events (`audit`, `storage`, `bus`,
 *     `timeline`) → `crypto`, `config` → `ports`, `errors` (the interfaces and error base everything shares).
 */
export const engineLayers: readonly (readonly string[])[] = [
  ['(root)', 'testing'],
  ['modules'],
  ['startup'],
  ['http'],
  ['team-events', 'alerts', 'integrations', 'schedules'],
  ['accounts', 'analytics', 'llm-settings', 'public-url', 'declared'],
  ['agent'],
  ['graph'],
  ['llm', 'prompts', 'runbooks', 'incident-memory'],
  ['tool-calls'],
  ['clusters', 'mcp', 'passkeys', 'policies', 'emergency-stop', 'freezes'],
  ['audit', 'storage', 'bus', 'timeline'],
  ['observability', 'memory', 'crypto', 'config'],
  ['ports', 'errors'],
];

/**
 * Arrows back up between the engine's folders the test tolerates: none (issue 33: 16 before tool-calls/ had a home;
 * issue 80: the last four went when their misplaced helpers moved down and team-features.ts into modules/).
 */
export const maxEngineBackArrows = 0;

/** Folders that must never import some others, whatever the layers say: the tool calls know no graph, agent or HTTP. */
export const engineForbiddenImports: Readonly<Record<string, readonly string[]>> = {
  'tool-calls': ['graph', 'agent', 'http'],
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

/** The folder of a file under `srcDir`: its first path segment, or `(root)` for a file directly in it. */
export function folderOf(srcDir: string, file: string): string | undefined {
  const relative = path.relative(srcDir, file).split(path.sep).join('/');
  if (relative.startsWith('..')) return undefined;
  const parts = relative.split('/');
  return parts.length === 1 ? '(root)' : parts[0];
}

/** Every import (type-only ones included) from one folder of `srcDir` (relative to `root`) into another. */
export function listFolderImports(root: string, srcDir: string): FolderImport[] {
  const absolute = path.join(root, srcDir);
  const found: FolderImport[] = [];
  for (const file of listSourceFiles(root, [srcDir])) {
    // A test beside its source is not part of the product's dependency graph: it may build its case from any layer.
    if (file.endsWith('.test.ts')) continue;
    const fromFolder = folderOf(absolute, file)!;
    for (const { specifier, typeOnly } of readImports(file)) {
      const target = resolveImport(specifier, file);
      const toFolder = target ? folderOf(absolute, target) : undefined;
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
