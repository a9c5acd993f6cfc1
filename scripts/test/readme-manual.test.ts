/**
 * Issue 80 item 6: the README is a manual a newcomer reads in a few screens — contents, the two commands, the sandbox,
 * the first conversation, and links to the guides under docs/. This keeps it that way: it stays within 400 lines,
 * its contents list points at headings it has, and no link in it or in docs/ points at a file that is not there
 * (a guide moved without its links would send people nowhere).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{Letter}\p{Number} _-]/gu, '')
    .replace(/ /g, '-');

/** Markdown links outside code blocks. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

describe('the README is a manual', () => {
  it('fits in 400 lines and starts with the two commands a newcomer needs', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
    expect(readme).toMatch(/## Run it\s+```sh\nnpm install && npm start\n```/);
    expect(readme).toMatch(/## Test it\s+```sh\nnpm install && npm test\n```/);
  });

  it('has a contents list whose every entry is one of its headings', () => {
    const headings = new Set([...readme.matchAll(/^#{2,3} (.+)$/gm)].map((match) => anchorOf(match[1]!)));
    const contents = readme.split('\n').find((line) => line.startsWith('**Contents:**'));
    expect(contents, 'a **Contents:** line').toBeDefined();
    const anchors = [...readme.slice(readme.indexOf('**Contents:**')).split('\n\n')[0]!.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!);
    expect(anchors.length).toBeGreaterThanOrEqual(5);
    for (const anchor of anchors) expect(headings, `#${anchor}`).toContain(anchor);
  });

  it('links only to files that exist, from the README and from every guide in docs/', () => {
    const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => path.join('docs', name))];
    const broken: string[] = [];
    for (const document of documents) {
      for (const link of linksOf(readFileSync(path.join(root, document), 'utf8'))) {
        if (/^(https?:|mailto:|#)/.test(link)) continue;
        const target = path.join(root, path.dirname(document), decodeURIComponent(link.split('#')[0]!));
        if (!existsSync(target)) broken.push(`${document} → ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
