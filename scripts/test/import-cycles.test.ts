import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImportGraph, findCycles } from '../import-cycles.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Every directory of shipped or shared source: a cycle anywhere here fails `npm test`. */
const sourceDirs = ['packages/protocol/src', 'packages/safety/src', 'packages/connectors/src', 'packages/engine/src', 'packages/mcp-server/src', 'packages/cli/src', 'packages/operator/src', 'packages/ui/src', 'packages/sandbox/src', 'testkit', 'evals/src'];

describe('import cycles', () => {
  it('the repository has none', () => {
    const graph = buildImportGraph(repoRoot, sourceDirs);
    // The graph really was read: the engine imports the protocol package through its workspace name.
    const engineToProtocol = [...graph.edges].some(([from, targets]) => from.includes('/packages/engine/src/') && targets.some((target) => target.includes('/packages/protocol/src/')));
    expect(engineToProtocol).toBe(true);
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => path.relative(repoRoot, file)).join(' → '));
    expect(cycles, 'modules that import each other (break the cycle: move the shared piece into a module both import)').toEqual([]);
  });

  it('the engine has none, type-only imports included', () => {
    const graph = buildImportGraph(repoRoot, ['packages/engine/src'], { typeOnly: true });
    // Type-only edges really were read: the gate node's run context names the tool calls' ports only as types.
    expect(graph.edges.get(path.join(repoRoot, 'packages/engine/src/app/graph/run-context.ts'))).toContain(path.join(repoRoot, 'packages/engine/src/domain/tool-calls/core/deps.ts'));
    const cycles = findCycles(graph).map((cycle) => cycle.map((file) => path.relative(repoRoot, file)).join(' → '));
    expect(cycles, 'engine modules that import each other, if only for a type (move the shared type into the lower module, or tool-calls/core/deps.ts, or ports/)').toEqual([]);
  });

  describe('on a tree with a cycle', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'import-cycles-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'src', 'nested'), { recursive: true });
    const write = (file: string, text: string) => writeFileSync(path.join(root, 'src', file), text);
    write('a.ts', "import { b } from './nested/b.ts';\nexport const a = () => b;\n");
    write('nested/b.ts', "import { c } from '../c.ts';\nexport const b = () => c;\n");
    write('c.ts', "export { a } from './a.ts';\nexport const c = 1;\n");
    write('types-only.ts', "import type { a } from './a.ts';\nexport type T = typeof a;\n");
    write('uses-types.ts', "import { type T } from './types-only.ts';\nexport const x: T | undefined = undefined;\n");
    write('d.ts', "export const d = () => import('./e.ts');\n");
    write('e.ts', "import { d } from './d.ts';\nexport const e = d;\n");
    write('f.ts', "import type { G } from './g.ts';\nexport type F = G[];\n");
    write('g.ts', "import type { F } from './f.ts';\nexport interface G {\n  f?: F;\n}\n");

    it('reports each cycle once, through re-exports and dynamic imports, and ignores type-only imports', () => {
      const cycles = findCycles(buildImportGraph(root, ['src'])).map((cycle) => cycle.map((file) => path.relative(path.join(root, 'src'), file)));
      expect(cycles).toEqual([
        ['a.ts', 'c.ts', 'nested/b.ts'],
        ['d.ts', 'e.ts'],
      ]);
    });

    it('with type-only imports counted, also the cycle a type closes', () => {
      const cycles = findCycles(buildImportGraph(root, ['src'], { typeOnly: true })).map((cycle) => cycle.map((file) => path.relative(path.join(root, 'src'), file)));
      expect(cycles).toEqual([
        ['a.ts', 'c.ts', 'nested/b.ts'],
        ['d.ts', 'e.ts'],
        ['f.ts', 'g.ts'],
      ]);
    });
  });
});
