import { describe, expect, it } from 'vitest';
import { highlightStart as S, highlightStop as E, lessThanStandIn as L, parseHighlighted, prefixTerms, substringHighlights } from './search-highlights.ts';

describe('parseHighlighted', () => {
  it('turns markers into ranges over plain text, markup in the text staying text', () => {
    const result = parseHighlighted(`pod ${S}ImagePullBackOff${E} on <b>frontend</b>\n\nnext ${S}line${E}`);
    expect(result.text).toBe('pod ImagePullBackOff on <b>frontend</b> next line');
    expect(result.highlights.map(([start, end]) => result.text.slice(start, end))).toEqual(['ImagePullBackOff', 'line']);
  });

  it('drops Markdown emphasis and code marks when asked (answers), keeping the ranges on the words', () => {
    const result = parseHighlighted(`The **frontend** is in ${S}ImagePullBackOff${E}: tag \`v2\``, 400, { markdown: true });
    expect(result.text).toBe('The frontend is in ImagePullBackOff: tag v2');
    expect(result.highlights.map(([start, end]) => result.text.slice(start, end))).toEqual(['ImagePullBackOff']);
  });

  it('restores "<" from its stand-in', () => {
    expect(parseHighlighted(`EXTERNAL-IP ${L}none> ${S}web${E}`)).toEqual({ text: 'EXTERNAL-IP <none> web', highlights: [[19, 22]] });
  });

  it('cuts long text with an ellipsis and clips the ranges to what is left', () => {
    const result = parseHighlighted(`${'a'.repeat(10)} ${S}match${E} ${'b'.repeat(30)}`, 14);
    expect(result.text).toBe('aaaaaaaaaa ma…');
    expect(result.highlights).toEqual([[11, 13]]);
  });
});

describe('prefixTerms', () => {
  it('keeps words only, each a prefix, so typed tsquery syntax is never interpreted', () => {
    expect(prefixTerms('postgres-primary')).toEqual(['postgres:*', 'primary:*']);
    expect(prefixTerms("ImagePull' | !x & (y x")).toEqual(['imagepull:*', 'x:*', 'y:*']);
    expect(prefixTerms(' %%% ')).toEqual([]);
  });
});

describe('substringHighlights', () => {
  it('finds every case-insensitive occurrence', () => {
    expect(substringHighlights('Pods pods', 'POD')).toEqual([[0, 3], [5, 8]]);
  });
});
