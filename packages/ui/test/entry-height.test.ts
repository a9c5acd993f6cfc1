import { describe, expect, it } from 'vitest';
import { estimateEntryHeight } from '../src/features/chat/components/entry-height.ts';

describe('timeline entry height guess', () => {
  it('grows with the text, code lines and tool calls of an entry', () => {
    const short = estimateEntryHeight({ id: 'a', type: 'assistant', timestamp: 0, usage: {}, segments: [{ kind: 'text', id: 't', text: 'ok' }] });
    const long = estimateEntryHeight({ id: 'b', type: 'assistant', timestamp: 0, usage: {}, segments: [{ kind: 'text', id: 't', text: `${'word '.repeat(100)}\n\n\`\`\`yaml\na: 1\nb: 2\n\`\`\`` }] });
    const tool = estimateEntryHeight({
      id: 'c',
      type: 'assistant',
      timestamp: 0,
      usage: {},
      segments: [{ kind: 'tool', id: 'x', tool: { call_id: 'x', tool: 'k8s_get', title: 'Get', args: {}, status: 'completed' } }],
    });
    expect(short).toBeGreaterThanOrEqual(48);
    expect(long).toBeGreaterThan(short + 100);
    expect(tool).toBeGreaterThan(short);
    expect(estimateEntryHeight({ id: 'u', type: 'user', content: 'hi', timestamp: 0 })).toBeLessThan(60);
  });
});
