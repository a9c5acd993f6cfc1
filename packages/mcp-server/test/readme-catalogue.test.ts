/**
 * The README's tool list is generated from the catalogue; this test fails when they drift.
 * Regenerate with: UPDATE_README=1 npx vitest run packages/mcp-server/test/readme-catalogue.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listToolCatalogue } from '../src/create-mcp-server.ts';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- tools:start (generated from the catalogue by test/readme-catalogue.test.ts) -->';
const END = '<!-- tools:end -->';
const FAMILY_TITLES = { k8s: 'Kubernetes (kubectl)', helm: 'Helm', argo: 'Argo Rollouts', jenkins: 'Jenkins' } as const;

export function renderToolList(): string {
  const catalogue = listToolCatalogue();
  const lines = [`${catalogue.length} tools. RO = read-only (never gated), W = changes state (needs approval), D = destructive. Preview = the read-only tool that \`preview_tool_call\` runs (the engine calls it before asking for approval; such tools carry \`_meta["skyflo.ai/preview"]: true\` in the listing).`, ''];
  const sections = [...(Object.keys(FAMILY_TITLES) as Array<keyof typeof FAMILY_TITLES>).map((toolset) => ({ title: FAMILY_TITLES[toolset], tools: catalogue.filter((entry) => entry.toolset === toolset) })), { title: 'Any toolset', tools: catalogue.filter((entry) => !entry.toolset) }];
  for (const { title, tools } of sections) {
    if (tools.length === 0) continue;
    lines.push(`### ${title} (${tools.length})`, '', '| tool | kind | parameters | preview | what it does |', '| --- | --- | --- | --- | --- |');
    for (const tool of tools) {
      const kind = tool.annotations.readOnlyHint ? 'RO' : tool.annotations.destructiveHint ? 'W, D' : 'W';
      const schema = tool.inputSchema as { properties?: Record<string, unknown>; required?: string[] };
      const params = Object.keys(schema.properties ?? {}).map((name) => (schema.required?.includes(name) ? `\`${name}\`` : `\`${name}?\``)).join(', ') || '—';
      const description = tool.description.split(/(?<=[a-z)\]`]\.)\s(?=[A-Z])/)[0].replace(/\|/g, '\\|');
      lines.push(`| \`${tool.name}\` | ${kind} | ${params} | ${tool.preview ? `\`${tool.preview}\`` : ''} | ${description} |`);
    }
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}

describe('README tool list', () => {
  it('matches the catalogue', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start, 'README needs the tools:start marker').toBeGreaterThanOrEqual(0);
    const current = readme.slice(start + START.length, end).trim();
    const generated = renderToolList();
    if (process.env.UPDATE_README && current !== generated) {
      writeFileSync(readmePath, `${readme.slice(0, start + START.length)}\n${generated}\n${readme.slice(end)}`);
      return;
    }
    expect(current).toBe(generated);
  });
});
