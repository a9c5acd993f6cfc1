/**
 * An answer's Markdown as the plain text a reader sees (the "Copy text" button): parsed with the same remark + GFM
 * parser the page renders with, then written without Markdown syntax. Blocks are separated by a blank line, lists keep
 * their bullets or numbers, tables become space-aligned columns under a rule (readable in a terminal, a ticket or a
 * mail), code blocks keep their code as is, and a link keeps its address after its text.
 */
import type { Nodes, Parents, Table } from 'mdast';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';

const parser = unified().use(remarkParse).use(remarkGfm);

function inline(node: Nodes): string {
  switch (node.type) {
    case 'text':
    case 'inlineCode':
    case 'html':
      return node.value;
    case 'break':
      return '\n';
    case 'image':
    case 'imageReference':
      return node.alt ?? '';
    case 'link': {
      const text = children(node);
      return text === node.url || text === '' ? node.url : `${text} (${node.url})`;
    }
    case 'footnoteReference':
      return `[${node.label ?? node.identifier}]`;
    default:
      return 'children' in node ? children(node) : 'value' in node ? String(node.value) : '';
  }
}

function children(node: Parents): string {
  return node.children.map((child) => inline(child as Nodes)).join('');
}

const indent = (text: string, prefix: string, first = prefix) =>
  text
    .split('\n')
    .map((line, index) => (line === '' ? line : (index === 0 ? first : prefix) + line))
    .join('\n');

function table(node: Table): string {
  const rows = node.children.map((row) => row.children.map((cell) => children(cell).replace(/\s*\n\s*/g, ' ').trim()));
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  const line = (cells: string[]) =>
    widths
      .map((width, column) => (node.align?.[column] === 'right' ? (cells[column] ?? '').padStart(width) : (cells[column] ?? '').padEnd(width)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

function block(node: Nodes): string {
  switch (node.type) {
    case 'root':
    case 'blockquote':
    case 'footnoteDefinition': {
      const text = blocks(node.children as Nodes[]);
      if (node.type === 'blockquote') return indent(text, '  ');
      if (node.type === 'footnoteDefinition') return `[${node.label ?? node.identifier}] ${text}`;
      return text;
    }
    case 'paragraph':
    case 'heading':
      return children(node);
    case 'code':
      return node.value;
    case 'thematicBreak':
    case 'definition':
      return '';
    case 'list':
      return node.children
        .map((item, index) => {
          const marker = node.ordered ? `${(node.start ?? 1) + index}. ` : '• ';
          const check = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
          // a tight list's paragraphs are lines; a loose list keeps a blank line between them
          const body = item.spread ? blocks(item.children as Nodes[]) : (item.children as Nodes[]).map(block).join('\n');
          return indent(check + body, ' '.repeat(marker.length), marker);
        })
        .join(node.spread ? '\n\n' : '\n');
    case 'table':
      return table(node);
    default:
      return inline(node);
  }
}

function blocks(nodes: Nodes[]): string {
  return nodes
    .map(block)
    .filter((text) => text !== '')
    .join('\n\n');
}

export function markdownToPlainText(markdown: string): string {
  return block(parser.parse(markdown)).trim();
}
