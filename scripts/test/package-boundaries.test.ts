import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkLayers,
  disallowedImports,
  engineFloorFolders,
  engineFloors,
  engineForbiddenFloorImports,
  engineForbiddenImports,
  floorForbiddenPackages,
  floorOf,
  engineLayers,
  folderCycles,
  isReachIn,
  listCrossUnitImports,
  listFolderImports,
  maxEngineBackArrows,
  mcpServerLayers,
  toolCallStages,
  type FolderImport,
  type UnitImport,
  unitOf,
} from '../package-boundaries.ts';
import { listSourceFiles, readImports } from '../import-cycles.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What each unit of shipped or shared code may import of ours (docs/adr/0007-package-boundaries.md). A unit missing
 * here is not checked (a package's own test/ folder, bench/, e2e/, scripts/: they may use any package, through its
 * name); imports within one package are always allowed. `<name>/testing` is a package's `./testing` entry
 * (src/testing): test helpers, which product code must not import.
 */
const allowedImports: Readonly<Record<string, readonly string[]>> = {
  // Wire schemas and events: the contract every other package shares, so it depends on none of them.
  protocol: [],
  // Pure risk and redaction rules: the RiskFlag wire type and nothing else.
  safety: ['protocol'],
  // How Skyflo reaches what users configure (the egress guard, the Jenkins client, confined folder reads): plain I/O
  // both apps share, so neither imports the other for it (issue 80 item 3).
  connectors: [],
  'mcp-server': ['protocol', 'safety', 'connectors'],
  // The engine embeds the MCP server (in-process connection, tool deps) and applies the same rules to proposed calls.
  engine: ['protocol', 'safety', 'connectors', 'mcp-server'],
  // The browser app speaks to the engine over HTTP/SSE only: the wire schemas, never engine code (not even types).
  ui: ['protocol'],
  // The executor judges team policies and freezes again at each mint, with the engine's own evaluator (issue 76).
  operator: ['protocol', 'safety'],
  // The command line starts the engine and MCP server, installs the operator, and `skyflo sandbox` runs kube-sim —
  // and, without a model key, llm-sim as its labelled demo model (issue 80 item 7, src/sandbox-demo-model.ts).
  cli: ['protocol', 'engine', 'mcp-server', 'operator', 'sandbox', 'testkit'],
  // kube-sim, its scenarios and the demo: a product (`skyflo sandbox`, `kube-sim`) that knows nothing of Skyflo's code.
  sandbox: [],
  'sandbox/testing': [],
  // The model and Jenkins simulators know nothing of the code they are tested against (they share kube-sim's CLI port parsing).
  testkit: ['sandbox'],
  evals: ['protocol', 'cli', 'mcp-server', 'sandbox', 'testkit'],
  'mcp-server/testing': ['protocol', 'safety', 'connectors', 'sandbox', 'testkit'],
  'engine/testing': ['protocol', 'safety', 'connectors', 'mcp-server', 'sandbox', 'testkit'],
};

const describeEdge = (edge: UnitImport) => `${edge.from} → '${edge.specifier}' (${edge.fromUnit} → ${edge.toUnit}${edge.typeOnly ? ', type-only' : ''})`;

describe('package boundaries', () => {
  const edges = listCrossUnitImports(repoRoot, ['packages', 'testkit', 'evals', 'bench', 'e2e', 'scripts']);

  it('each package imports only the packages docs/adr/0007 allows it', () => {
    // The graph really was read: the engine and the MCP server both reach the rules through @skyflo/safety.
    expect(edges.some((edge) => edge.fromUnit === 'engine' && edge.toUnit === 'safety' && edge.specifier === '@skyflo/safety')).toBe(true);
    expect(edges.some((edge) => edge.fromUnit === 'mcp-server' && edge.toUnit === 'safety')).toBe(true);
    const disallowed = disallowedImports(edges, allowedImports).map(describeEdge);
    expect(disallowed, 'imports the allowed-imports table does not permit (move the shared piece into a package both may import, or change the ADR and the table together)').toEqual([]);
  });

  it('nothing outside a package reaches into it by relative path', () => {
    const unexpected = edges.filter(isReachIn).map(describeEdge);
    expect(unexpected, "import the package by name (its \"exports\", e.g. '@skyflo/engine/testing') instead of its files by path").toEqual([]);
  });

  it('no import cycle between the engine\'s folders, peers of one layer included', () => {
    const cycles = folderCycles(listFolderImports(repoRoot, 'packages/engine/src', engineFloorFolders));
    expect(cycles.map((folders) => folders.join(' ⇄ ')), 'folders that import each other, directly or round a circle: move the shared piece into one of them or below both').toEqual([]);
  });

  describe('on a tree that breaks them', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'package-boundaries-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    for (const name of ['protocol', 'engine', 'mcp-server', 'ui']) {
      write(`packages/${name}/package.json`, JSON.stringify({ name: `@skyflo/${name}`, type: 'module', exports: { '.': './src/index.ts', './testing': './src/testing/index.ts' } }));
      write(`packages/${name}/src/index.ts`, 'export const ok = 1;\n');
      write(`packages/${name}/src/testing/index.ts`, 'export const helper = 1;\n');
      mkdirSync(path.join(root, 'node_modules', '@skyflo'), { recursive: true });
      symlinkSync(path.join(root, 'packages', name), path.join(root, 'node_modules', '@skyflo', name));
    }
    write('packages/ui/src/page.ts', "import type { ok } from '@skyflo/engine';\nimport { ok as wire } from '@skyflo/protocol';\nexport type T = typeof ok | typeof wire;\n");
    write('packages/engine/src/gateway.ts', "import { helper } from '@skyflo/mcp-server/testing';\nimport { ok } from '@skyflo/mcp-server';\nexport const x = helper + ok;\n");
    write('packages/engine/test/gateway.test.ts', "import { helper } from '@skyflo/mcp-server/testing';\nimport { x } from '../src/gateway.ts';\nexport const y = helper + x;\n");
    write('e2e/flow.test.ts', "import { helper } from '@skyflo/engine/testing';\nimport { x } from '../packages/engine/src/gateway.ts';\nexport const z = helper + x;\n");
    const treeEdges = listCrossUnitImports(root, ['packages', 'e2e']);
    const table = { protocol: [], engine: ['protocol', 'mcp-server'], 'mcp-server': ['protocol'], ui: ['protocol'] };

    it("fails on a new disallowed edge: the UI importing the engine (even a type), the engine importing another package's test helpers", () => {
      expect(disallowedImports(treeEdges, table).map((edge) => `${edge.from} → ${edge.specifier}`)).toEqual([
        "packages/engine/src/gateway.ts → @skyflo/mcp-server/testing",
        "packages/ui/src/page.ts → @skyflo/engine",
      ]);
    });

    it('finds a relative reach-in into a package, and not an import by name or a suite importing its own package', () => {
      expect(treeEdges.filter(isReachIn).map((edge) => `${edge.from} → ${edge.specifier}`)).toEqual(['e2e/flow.test.ts → ../packages/engine/src/gateway.ts']);
    });
  });
});

const describeFolderImport = (edge: FolderImport) => `${edge.from} → '${edge.specifier}'${edge.typeOnly ? ' (type-only)' : ''}`;

describe("the engine's floors (modules → http → adapters → app → domain → platform)", () => {
  const imports = listFolderImports(repoRoot, 'packages/engine/src', engineFloorFolders);
  const floorImports = imports.map((edge) => ({ ...edge, fromFolder: floorOf(edge.fromFolder), toFolder: floorOf(edge.toFolder) })).filter((edge) => edge.fromFolder !== edge.toFolder);
  const report = checkLayers(floorImports, engineFloors, engineForbiddenFloorImports);

  it('src/ holds only the floors, the composition and the test helpers', () => {
    const top = readdirSync(path.join(repoRoot, 'packages/engine/src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    expect(top).toEqual(engineFloors.flat().filter((floor) => floor !== '(root)').sort());
  });

  it('no floor imports one above it, and only the composition imports adapters/', () => {
    // The floors really were read: the gate node (app) imports the tool calls (domain), modules/ the storage adapter.
    expect(floorImports.some((edge) => edge.fromFolder === 'app' && edge.toFolder === 'domain')).toBe(true);
    expect(floorImports.some((edge) => edge.fromFolder === 'modules' && edge.toFolder === 'adapters')).toBe(true);
    const arrows = report.backArrows.map(({ arrow, imports: edges }) => `${arrow}: ${edges.map(describeFolderImport).join(', ')}`);
    expect(arrows, 'an import into a higher floor: move the shared piece down (a port into platform/ports), or the importing file up').toEqual([]);
    // app/, domain/ and platform/ importing adapters/ is an arrow back up; http/ doing so is forbidden outright
    expect(report.forbidden.map(describeFolderImport), 'routes take adapters as ports, passed by modules/').toEqual([]);
  });

  it.each(Object.entries(floorForbiddenPackages))('%s/ imports none of the packages its floor must not (floorForbiddenPackages)', (floor, forbidden) => {
    const files = listSourceFiles(repoRoot, [`packages/engine/src/${floor}`]).filter((file) => !file.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((file) => readImports(file).filter(({ specifier }) => forbidden.some((pattern) => pattern.test(specifier))).map(({ specifier }) => `${path.relative(repoRoot, file)} → ${specifier}`));
    expect(found, 'a rule that needs the ORM, a driver or a framework belongs in adapters/ (behind a port) or app/').toEqual([]);
  });
});

describe("the engine's folders (http → app/agent → app/graph → domain/tool-calls → domain/clusters → … → platform/ports)", () => {
  const report = checkLayers(listFolderImports(repoRoot, 'packages/engine/src', engineFloorFolders), engineLayers, engineForbiddenImports);

  it('every engine folder has a place in the layers (scripts/package-boundaries.ts engineLayers)', () => {
    // The folders really were read: the gate node imports the tool calls.
    expect(listFolderImports(repoRoot, 'packages/engine/src', engineFloorFolders).some((edge) => edge.fromFolder === 'app/graph' && edge.toFolder === 'domain/tool-calls')).toBe(true);
    expect(report.unplaced, 'folders no layer names: add each to engineLayers, where it belongs').toEqual([]);
  });

  it('nothing in tool-calls/ imports graph/, agent/ or http/ (not even a type)', () => {
    expect(report.forbidden.map(describeFolderImport), 'the tool calls take what they need through tool-calls/core/deps.ts').toEqual([]);
  });

  it(`at most ${maxEngineBackArrows} arrows run back up between the engine's folders`, () => {
    const arrows = report.backArrows.map(({ arrow, imports }) => `${arrow}: ${imports.map(describeFolderImport).join(', ')}`);
    console.log(`engine: ${arrows.length} arrows back up between folders (at most ${maxEngineBackArrows})\n  ${arrows.join('\n  ')}`);
    expect(arrows.length, `arrows back up (move the shared piece down, or into the folder that uses it):\n${arrows.join('\n')}`).toBeLessThanOrEqual(maxEngineBackArrows);
  });

  describe('on a tree that breaks them', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'engine-layers-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, 'src', file)), { recursive: true });
      writeFileSync(path.join(root, 'src', file), text);
    };
    write('main.ts', "import { route } from './http/route.ts';\nexport const main = route;\n");
    write('http/route.ts', "import { decide } from '../agent/decide.ts';\nexport const route = decide;\n");
    write('agent/decide.ts', "import { gate } from '../tool-calls/gate.ts';\nexport const decide = gate;\n");
    write('tool-calls/gate.ts', "import type { Route } from '../http/types.ts';\nimport { run } from '../graph/run.ts';\nexport const gate = (route?: Route) => run(route);\n");
    write('http/types.ts', 'export type Route = string;\n');
    write('graph/run.ts', "import { lonely } from '../lonely/lonely.ts';\nexport const run = (value: unknown) => [value, lonely];\n");
    write('lonely/lonely.ts', 'export const lonely = 1;\n');
    const layers = [['(root)'], ['http'], ['agent'], ['graph'], ['tool-calls']];
    const treeReport = checkLayers(listFolderImports(root, 'src'), layers, { 'tool-calls': ['graph', 'agent', 'http'] });

    it('counts each arrow back up once per pair of folders, type-only imports included', () => {
      expect(treeReport.backArrows.map(({ arrow, imports }) => [arrow, imports.length])).toEqual([
        ['tool-calls → graph', 1],
        ['tool-calls → http', 1],
      ]);
    });

    it('finds a cycle between two peers of one layer, which the layers allow', () => {
      write('graph/plan.ts', "import { note } from '../llm/note.ts';\nexport const plan = note;\n");
      write('llm/note.ts', "import type { plan } from '../graph/plan.ts';\nexport const note = 1 as unknown as typeof plan;\n");
      const peers = [['(root)'], ['http'], ['agent'], ['graph', 'llm', 'lonely'], ['tool-calls']];
      const imports = listFolderImports(root, 'src');
      expect(checkLayers(imports, peers).backArrows.map(({ arrow }) => arrow)).toEqual(['tool-calls → graph', 'tool-calls → http']);
      // http → agent → tool-calls → http is a circle too: the layers count its last step as an arrow back up
      expect(folderCycles(imports)).toEqual([['agent', 'http', 'tool-calls'], ['graph', 'llm']]);
    });

    it('reports what tool-calls/ must never import, and a folder without a layer', () => {
      expect(treeReport.forbidden.map((edge) => `${edge.from} → ${edge.specifier}`)).toEqual(['tool-calls/gate.ts → ../http/types.ts', 'tool-calls/gate.ts → ../graph/run.ts']);
      expect(treeReport.unplaced).toEqual(['lonely']);
    });
  });
});

/**
 * Trees held to their layer table like the engine's folders: every folder placed, no arrow back up, no cycle between
 * folders. `read` is an import the tree certainly makes, so an empty reading cannot pass.
 */
const layeredTrees = [
  {
    title: "the tool calls' stages (run-calls → undo → execute → verify → propose → decide → core)",
    srcDir: 'packages/engine/src/domain/tool-calls',
    layers: toolCallStages,
    table: 'toolCallStages',
    // every stage takes its ports from core/deps.ts
    read: { from: 'execute', to: 'core' },
    moveHint: 'move the shared piece into core/ (or into the stage that uses it), or the importing file up',
  },
  {
    title: "the MCP server's layers (http, confirm → verify → tools → risk → kube → deps → exec → contract)",
    srcDir: 'packages/mcp-server/src',
    layers: mcpServerLayers,
    table: 'mcpServerLayers',
    read: { from: 'tools', to: 'kube' },
    moveHint: 'move what a lower folder needs down to it, or the importing file up',
  },
];

for (const tree of layeredTrees) {
  describe(tree.title, () => {
    const imports = listFolderImports(repoRoot, tree.srcDir);
    const report = checkLayers(imports, tree.layers);

    it(`every folder of ${tree.srcDir} has a place in scripts/package-boundaries.ts ${tree.table}`, () => {
      expect(imports.some((edge) => edge.fromFolder === tree.read.from && edge.toFolder === tree.read.to)).toBe(true);
      expect(report.unplaced, `folders no layer names: add each to ${tree.table}, where it belongs`).toEqual([]);
    });

    it(`no arrow runs back up between the folders of ${tree.srcDir}`, () => {
      const arrows = report.backArrows.map(({ arrow, imports: edges }) => `${arrow}: ${edges.map(describeFolderImport).join(', ')}`);
      expect(arrows, tree.moveHint).toEqual([]);
    });

    it(`no import cycle between the folders of ${tree.srcDir}, peers of one layer included`, () => {
      expect(folderCycles(imports).map((folders) => folders.join(' ⇄ ')), 'folders that import each other, if only for a type').toEqual([]);
    });
  });
}

// Issue 38: importing LangGraph's Node entry ('@langchain/langgraph') installs an AsyncLocalStorage, and from its first
// run Node 20 calls promise hooks for every promise of the process: the engine's, the provider's web streams', the HTTP
// server's (~1 ms of main-thread CPU per two-token chat in a profile). The engine passes every node its config and never
// calls interrupt() or getConfig(), the only features that need it, so shipped code imports the web entry instead.
describe("LangGraph's entry", () => {
  const importsOfTheNodeEntry = (files: string[]) =>
    files.flatMap((file) => (readImports(file).some((statement) => statement.specifier === '@langchain/langgraph') ? [path.relative(repoRoot, file)] : []));

  it("shipped code imports '@langchain/langgraph/web', never the Node entry that turns on promise hooks", () => {
    // the scan does find the Node entry where it is imported: the storage conformance suite tests interrupt()
    expect(importsOfTheNodeEntry(listSourceFiles(repoRoot, ['packages/engine/test/storage']))).toEqual(['packages/engine/test/storage/conformance.test.ts']);
    // a package's src (its ./testing helpers included), not its suites
    const shipped = listSourceFiles(repoRoot, ['packages']).filter((file) => !unitOf(repoRoot, file)?.endsWith('/test') && !file.endsWith('.test.ts'));
    expect(shipped.map((file) => unitOf(repoRoot, file))).toContain('engine');
    expect(importsOfTheNodeEntry(shipped)).toEqual([]);
  });
});
