import { describe, expect, it } from 'vitest';
import { splitBlocks } from '../src/components/markdown-blocks.ts';

describe('streaming Markdown blocks', () => {
  it('splits finished paragraphs from the growing tail', () => {
    expect(splitBlocks('First **para**.\n\nSecond one\n\nthe ta')).toEqual(['First **para**.', 'Second one', 'the ta']);
  });

  it('never splits inside an open code fence', () => {
    const text = 'Run:\n\n```yaml\nspec:\n\n  replicas: 3\n```\n\nDone';
    expect(splitBlocks(text)).toEqual(['Run:', '```yaml\nspec:\n\n  replicas: 3\n```', 'Done']);
    expect(splitBlocks('```sh\nkubectl get pods\n\nkubectl')).toEqual(['```sh\nkubectl get pods\n\nkubectl']);
  });

  it('keeps the same earlier blocks as text grows, so they are not re-parsed', () => {
    const before = splitBlocks('a\n\nb\n\nc');
    const after = splitBlocks('a\n\nb\n\nc more');
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
  });
});
