import { describe, expect, it } from 'vitest';
import { commandSpans } from './command-spans.ts';

describe('commandSpans', () => {
  it('takes out backtick-quoted commands and command-line flags (with a <placeholder> argument), keeping the prose around them', () => {
    expect(commandSpans('Pass --kubeconfig <file>, set KUBECONFIG. Try `npm run sandbox` (or `skyflo sandbox`).')).toEqual([
      { text: 'Pass ', command: false },
      { text: '--kubeconfig <file>', command: true },
      { text: ', set KUBECONFIG. Try ', command: false },
      { text: 'npm run sandbox', command: true },
      { text: ' (or ', command: false },
      { text: 'skyflo sandbox', command: true },
      { text: ').', command: false },
    ]);
  });

  it('leaves prose alone: no quotes, a lone backtick, dashes inside words or used as a pause', () => {
    expect(commandSpans('No model is configured yet.')).toEqual([{ text: 'No model is configured yet.', command: false }]);
    expect(commandSpans('a ` alone -- and a re-run, x--y')).toEqual([{ text: 'a ` alone -- and a re-run, x--y', command: false }]);
    expect(commandSpans('')).toEqual([]);
  });
});
