/**
 * The README's tool table (annotations included) is generated from the catalogue; this test fails when they drift.
 * Regenerate with: npx tsx packages/mcp-server/test/support/render-tool-table.ts --write
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listToolCatalogue } from '../../src/create-mcp-server.ts';
import { readmePath, readmeWithTable, renderToolList } from '../support/render-tool-table.ts';

describe('README tool list', () => {
  it('matches the catalogue', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).toBe(readmeWithTable(readme));
  });

  it('lists every tool with all four annotations', () => {
    const table = renderToolList();
    for (const tool of listToolCatalogue()) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`${tool.name}\` |`));
      expect(row, tool.name).toBeDefined();
      const [readOnly, destructive, idempotent, openWorld] = row!.split(' | ').slice(1, 5);
      expect([readOnly, destructive, idempotent, openWorld], tool.name).toEqual(
        [tool.annotations.readOnlyHint, tool.annotations.destructiveHint, tool.annotations.idempotentHint, tool.annotations.openWorldHint].map((value) => (value ? 'yes' : '')),
      );
    }
  });

  it('explains how to connect from Claude Desktop, Cursor and the Inspector, and the confirmation modes', () => {
    const readme = readFileSync(readmePath, 'utf8');
    for (const text of ['Claude Desktop', 'Cursor', 'MCP Inspector', '"mcpServers"', '--confirm=elicit', '--confirm=deny', '--confirm=allow', '--stdio']) expect(readme).toContain(text);
  });
});
