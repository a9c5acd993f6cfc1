// Loaded with `node --import` before the conformance suite's CLI (@modelcontextprotocol/conformance 0.1.16). Its one
// bundle imports `globSync` from node:fs, which Node 20 lacks (it came in 22), so on Node 20 the CLI fails to load at
// all. globSync is used only by its `tier-check` command, which the tests never run: on Node 20, and only for that
// package, `fs` resolves to node:fs plus a globSync that says so. On Node 22 and later this does nothing.
import fs from 'node:fs';
import { register } from 'node:module';

if (typeof fs.globSync !== 'function') {
  const fsWithGlob =
    'data:text/javascript,' +
    encodeURIComponent("export * from 'node:fs'; export { default } from 'node:fs'; export function globSync() { throw new Error('fs.globSync needs Node 22 (tier-check is not used here)'); }");
  const hooks = `export async function resolve(specifier, context, next) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL?.includes('/@modelcontextprotocol/conformance/')) return { url: ${JSON.stringify(fsWithGlob)}, shortCircuit: true };
  return next(specifier, context);
}`;
  register('data:text/javascript,' + encodeURIComponent(hooks));
}
