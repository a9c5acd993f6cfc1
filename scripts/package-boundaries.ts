/**
 * Which of the repository's packages may import which, and whether an import crosses into another package by relative
 * path (a "reach-in") instead of through that package's name and "exports". The rules themselves, and why, are in
 * docs/adr/0007-package-boundaries.md; scripts/test/package-boundaries.test.ts holds the table and fails on an edge
 * it does not allow. Type-only imports count here (unlike the cycle check): a type is still a dependency of the source.
 */
import path from 'node:path';
import { listSourceFiles, readImports, resolveImport } from './import-cycles.ts';

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
