/**
 * The README's tool table, generated from the catalogue (names, annotations, parameters, previews), so it cannot
 * drift: test/readme-catalogue.test.ts fails when the README differs. Rewrite the README's table with
 *   npx tsx packages/mcp-server/test/support/render-tool-table.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { listToolCatalogue } from '../../src/create-mcp-server.ts';

export const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
export const START = '<!-- tools:start (generated from the catalogue by test/support/render-tool-table.ts) -->';
export const END = '<!-- tools:end -->';
const FAMILY_TITLES = { k8s: 'Kubernetes (kubectl)', helm: 'Helm', argo: 'Argo Rollouts', jenkins: 'Jenkins', observability: 'Observability (Prometheus, Loki)' } as const;

const yes = (value: boolean | undefined) => (value ? 'yes' : '');

export function renderToolList(): string {
  const catalogue = listToolCatalogue();
  const lines = [
    `${catalogue.length} tools. Columns are the MCP annotations each tool lists: **read-only** (\`readOnlyHint\`: never gated, never asked), **destructive** (\`destructiveHint\`: can lose data or take a service down; the reason for each is in \`test/tools/catalogue-contract.test.ts\`), **idempotent** (\`idempotentHint\`), **open world** (\`openWorldHint\`: reaches outside the cluster). Every tool that is not read-only is gated: the engine asks for approval, a direct client is asked through elicitation (\`--confirm\`). Preview = the read-only tool that \`preview_tool_call\` runs, or "built-in" when the tool describes its own calls (such tools carry \`_meta["skyflo.ai/preview"]: true\` in the listing).`,
    '',
  ];
  const sections = [
    ...(Object.keys(FAMILY_TITLES) as Array<keyof typeof FAMILY_TITLES>).map((toolset) => ({ title: FAMILY_TITLES[toolset], tools: catalogue.filter((entry) => entry.toolset === toolset) })),
    { title: 'Any toolset', tools: catalogue.filter((entry) => !entry.toolset) },
  ];
  for (const { title, tools } of sections) {
    if (tools.length === 0) continue;
    lines.push(`### ${title} (${tools.length})`, '', '| tool | read-only | destructive | idempotent | open world | parameters | preview | what it does |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const tool of tools) {
      const hints = tool.annotations;
      const schema = tool.inputSchema as { properties?: Record<string, unknown>; required?: string[] };
      const params = Object.keys(schema.properties ?? {}).map((name) => (schema.required?.includes(name) ? `\`${name}\`` : `\`${name}?\``)).join(', ') || '—';
      const description = tool.description.split(/(?<=[a-z)\]`]\.)\s(?=[A-Z])/)[0]!.replace(/\|/g, '\\|');
      const preview = tool.preview ? `\`${tool.preview}\`` : tool.previewable ? 'built-in' : '';
      lines.push(`| \`${tool.name}\` | ${yes(hints.readOnlyHint)} | ${yes(hints.destructiveHint)} | ${yes(hints.idempotentHint)} | ${yes(hints.openWorldHint)} | ${params} | ${preview} | ${description} |`);
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

/** The README with its table replaced by the generated one. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README needs the markers ${START} … ${END}`);
  return `${readme.slice(0, start + START.length)}\n${renderToolList()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  writeFileSync(readmePath, readmeWithTable(readFileSync(readmePath, 'utf8')));
  console.log(`wrote the tool table to ${readmePath}`);
}
