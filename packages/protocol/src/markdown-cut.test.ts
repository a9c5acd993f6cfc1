import { describe, expect, it } from 'vitest';
import { closeCutAnswer, closeCutSpan } from './markdown-cut.ts';

describe('closing the span a stopped answer was cut in', () => {
  it('closes an open bold or code span on the last line', () => {
    expect(closeCutSpan('Finding **bold')).toBe('Finding **bold**');
    expect(closeCutSpan('Finding **bold ')).toBe('Finding **bold**');
    expect(closeCutSpan('Finding **bold 4** in `pod-')).toBe('Finding **bold 4** in `pod-`');
    expect(closeCutSpan('Finding **bold 4** in `')).toBe('Finding **bold 4** in');
  });

  it('leaves complete lines, a lone asterisk, fence and table lines as they are', () => {
    for (const line of ['3 * 4 = 12', 'It is **done**.', 'Run `kubectl get pods`', 'a ** b', '```yaml', '| a | `b |']) expect(closeCutSpan(line)).toBe(line);
  });

  it('closes only the last line, and nothing when the answer ends inside a code fence', () => {
    expect(closeCutAnswer('First **line**.\n\nSecond **bo')).toBe('First **line**.\n\nSecond **bo**');
    expect(closeCutAnswer('Run:\n```sh\necho `date')).toBe('Run:\n```sh\necho `date');
    expect(closeCutAnswer('```sh\nls\n```\nthen `kubectl')).toBe('```sh\nls\n```\nthen `kubectl`');
  });
});
