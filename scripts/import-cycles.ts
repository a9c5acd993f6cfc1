/**
 * Finds import cycles among the repository's own source modules (packages/*\/src, testkit, evals/src). A cycle makes
 * module initialisation order-dependent and ties packages together; `npm test` fails on a new one
 * (scripts/test/import-cycles.test.ts). Imports are read with TypeScript's own pre-processor and resolved with its
 * module resolution (workspace packages resolve through node_modules symlinks to their source), so what counts as an
 * edge is exactly what the compiler follows. Type-only imports are skipped by default: they vanish at runtime. The
 * engine's check counts them too (`{ typeOnly: true }`): a type shared both ways still ties two modules together, and
 * the engine's layers (package-boundaries.ts) are read with them.
 */
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportGraph {
  /** absolute module path → absolute paths of the repository modules it imports (at runtime) */
  edges: Map<string, string[]>;
}

const sourceExtensions = ['.ts', '.tsx', '.mts'];

function listSources(dir: string, into: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) listSources(full, into);
    else if (sourceExtensions.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts')) into.push(full);
  }
  return into;
}

export interface ImportStatement {
  specifier: string;
  /** `import type`, or every named binding is `type`: gone at runtime, still a dependency of the source. */
  typeOnly: boolean;
}

/** Every `import`/`export … from`/`import()` of a file, each marked type-only or not. */
export function readImports(file: string): ImportStatement[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: ImportStatement[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause?.isTypeOnly === true || (clause !== undefined && !clause.name && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((element) => element.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const resolutionOptions: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, jsx: ts.JsxEmit.ReactJSX };

/** The repository file an import resolves to (workspace packages through their node_modules symlinks), if any. */
export function resolveImport(specifier: string, fromFile: string): string | undefined {
  const resolved = ts.resolveModuleName(specifier, fromFile, resolutionOptions, ts.sys).resolvedModule?.resolvedFileName;
  return resolved ? realpathSync(resolved) : undefined;
}

/** Every source file under `sourceDirs` (relative to `root`), skipping node_modules, dist and dot-folders. */
export function listSourceFiles(root: string, sourceDirs: string[]): string[] {
  return sourceDirs.flatMap((dir) => listSources(path.join(root, dir)));
}

/** `typeOnly`: count `import type` edges too (a cycle of types is still a knot in the source). */
export function buildImportGraph(root: string, sourceDirs: string[], options: { typeOnly?: boolean } = {}): ImportGraph {
  const files = listSourceFiles(root, sourceDirs);
  const known = new Set(files.map((file) => realpathSync(file)));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const from = realpathSync(file);
    const targets = new Set<string>();
    for (const { specifier, typeOnly } of readImports(file)) {
      if (typeOnly && !options.typeOnly) continue;
      const target = resolveImport(specifier, file);
      if (target && known.has(target) && target !== from) targets.add(target);
    }
    edges.set(from, [...targets].sort());
  }
  return { edges };
}

/** The strongly connected components with more than one module (Tarjan), each listed from its smallest path. */
export function findCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.edges.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.edges.keys()].sort()) if (!index.has(node)) connect(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
