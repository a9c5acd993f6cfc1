/**
 * The Command Center's folder rule (scripts/ui-boundaries.ts): a feature imports only `components/`, `lib/` and its
 * own folder. The real UI keeps it, and the check catches a feature reaching into another feature or the app shell,
 * and a shared folder reaching into a feature, in a small tree written for the purpose.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { uiBoundaryViolations, type UiImport } from '../ui-boundaries.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const describeImport = (edge: UiImport) => `${edge.from} → '${edge.specifier}' (${edge.fromArea} → ${edge.toArea})`;

describe('UI boundaries: features import only components, lib and their own folder', () => {
  it('the Command Center keeps the rule', () => {
    // What two features use belongs in components/ (drawn) or lib/ (computed, fetched); the app shell wires features.
    expect(uiBoundaryViolations(repoRoot).map(describeImport)).toEqual([]);
  });

  const scratch = mkdtempSync(path.join(tmpdir(), 'ui-boundaries-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    const full = path.join(scratch, 'packages/ui/src', file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  };
  write('lib/api.ts', `export const api = 1;\n`);
  write('components/button.tsx', `import { api } from '../lib/api.ts';\nexport const Button = api;\n`);
  write('app/session.tsx', `export const useMe = () => 1;\n`);
  write('features/history/list.tsx', `export const list = 1;\n`);
  write('features/history/page.tsx', `import { list } from './list.tsx';\nimport { Button } from '../../components/button.tsx';\nimport { api } from '../../lib/api.ts';\nexport default [list, Button, api];\n`);
  write('features/chat/card.tsx', `import { list } from '../history/list.tsx';\nexport const card = list;\n`);
  write('features/chat/state/store.ts', `import type { useMe } from '../../../app/session.tsx';\nexport type Store = typeof useMe;\n`);
  write('features/chat/lazy.tsx', `export const later = () => import('../history/page.tsx');\n`);
  write('components/leak.tsx', `export { card } from '../features/chat/card.tsx';\n`);
  write('app/app.tsx', `import page from '../features/history/page.tsx';\nimport { card } from '../features/chat/card.tsx';\nexport default [page, card];\n`);

  it('fails on a feature importing another feature (static, re-exported or lazy) or the app shell, and on a shared folder importing a feature', () => {
    const found = uiBoundaryViolations(scratch).map(describeImport).sort();
    expect(found).toEqual([
      `components/leak.tsx → '../features/chat/card.tsx' (components → features/chat)`,
      `features/chat/card.tsx → '../history/list.tsx' (features/chat → features/history)`,
      `features/chat/lazy.tsx → '../history/page.tsx' (features/chat → features/history)`,
      `features/chat/state/store.ts → '../../../app/session.tsx' (features/chat → app)`,
    ]);
  });
});
