import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { disallowedImports, isReachIn, listCrossUnitImports, type UnitImport } from '../package-boundaries.ts';

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
  'mcp-server': ['protocol', 'safety'],
  // The engine embeds the MCP server (in-process connection, tool deps) and applies the same rules to proposed calls.
  engine: ['protocol', 'safety', 'mcp-server'],
  // The browser app speaks to the engine over HTTP/SSE only: the wire schemas, never engine code (not even types).
  ui: ['protocol'],
  operator: ['protocol'],
  // The command line starts the engine and MCP server, installs the operator, and `skyflo sandbox` runs kube-sim.
  cli: ['protocol', 'engine', 'mcp-server', 'operator', 'sandbox'],
  // kube-sim, its scenarios and the demo: a product (`skyflo sandbox`, `kube-sim`) that knows nothing of Skyflo's code.
  sandbox: [],
  'sandbox/testing': [],
  // The model and Jenkins simulators know nothing of the code they are tested against (they share kube-sim's CLI port parsing).
  testkit: ['sandbox'],
  evals: ['protocol', 'cli', 'mcp-server', 'sandbox', 'testkit'],
  'mcp-server/testing': ['protocol', 'safety', 'sandbox', 'testkit'],
  'engine/testing': ['protocol', 'safety', 'mcp-server', 'sandbox', 'testkit'],
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
