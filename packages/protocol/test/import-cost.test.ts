/**
 * What importing @skyflo/protocol costs every program that does (the engine before it listens, `skyflo mcp`, the CLI,
 * the Command Center before its first paint): its ~1,900 zod schema objects, ~20 µs each, are built when first used
 * (deferred.ts), not at import. A schema declared without `deferred(() => …)` is built at every start again.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const counter = fileURLToPath(new URL('./fixtures/count-built-schemas.mjs', import.meta.url));

it('builds no schema at import but the shared field lists, and what a parse needs when it runs', () => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', counter, '@skyflo/protocol'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  const { zodAlone, atImport, afterOneParse } = JSON.parse(output) as { zodAlone: number; atImport: number; afterOneParse: number };
  // Only the field lists that several schemas spread (an event's run fields, a tool call's identity, a decision's
  // fields, usage totals, the preview call's shapes: ~90 small schemas) are built at import; all 1,944 were before.
  expect(atImport - zodAlone).toBeLessThan(100);
  // the counter sees schemas being built: the chat request's own (an object, its messages, their fields) on its first parse
  expect(afterOneParse - atImport).toBeGreaterThan(5);
  expect(afterOneParse - atImport).toBeLessThan(100);
});
