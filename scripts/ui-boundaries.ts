/**
 * The Command Center's folder rule (issue 33): a feature (`packages/ui/src/features/<name>/`) imports only the shared
 * folders `components/` and `lib/` and its own folder, never another feature nor the app shell (`app/`); and the
 * shared folders import only each other. What several features use lives in `components/` (what is drawn) or `lib/`
 * (what is computed or fetched), so a feature can be read, changed or removed without opening another one.
 * scripts/test/ui-boundaries.test.ts runs it in `npm test`. Type-only imports count: a type is still a dependency.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { listSourceFiles, readImports, resolveImport } from './import-cycles.ts';

/** The UI's source folder, relative to the repository root. */
export const uiSourceDir = 'packages/ui/src';

/** Where a file of the UI's source sits: `features/<name>`, `components`, `lib`, `app`, or `root` (main.tsx). */
export function areaOf(srcDir: string, file: string): string | undefined {
  const relative = path.relative(srcDir, file).split(path.sep).join('/');
  if (relative.startsWith('..')) return undefined;
  const [top, second] = relative.split('/');
  if (top === 'features') return second && relative.split('/').length > 2 ? `features/${second}` : 'features';
  if (top === 'components' || top === 'lib' || top === 'app') return top;
  return 'root';
}

const shared = new Set(['components', 'lib']);

/** Whether code in area `from` may import code in area `to` (the rule above; `app` and `root` may import anything). */
export function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  if (from.startsWith('features/')) return shared.has(to);
  if (shared.has(from)) return shared.has(to);
  return true;
}

export interface UiImport {
  /** paths relative to the UI's source folder */
  from: string;
  to: string;
  fromArea: string;
  toArea: string;
  specifier: string;
}

/** Every import in the UI's source (under `root`/packages/ui/src) that breaks the folder rule. */
export function uiBoundaryViolations(root: string, srcDir = uiSourceDir): UiImport[] {
  const src = realpathSync(path.join(root, srcDir));
  const found: UiImport[] = [];
  for (const file of listSourceFiles(root, [srcDir])) {
    const real = realpathSync(file);
    const fromArea = areaOf(src, real);
    if (!fromArea) continue;
    for (const { specifier } of readImports(file)) {
      const target = resolveImport(specifier, file);
      if (!target) continue;
      const toArea = areaOf(src, target);
      // packages (react, @skyflo/protocol…) are not the UI's folders: the package boundaries check them
      if (!toArea || mayImport(fromArea, toArea)) continue;
      found.push({ from: path.relative(src, real), to: path.relative(src, target), fromArea, toArea, specifier });
    }
  }
  return found;
}
