/**
 * Issue 81: `skyflo chat` names the past incidents a run was given (the `memory.used` event): "Seen before: <title>,
 * <date>, resolved by <change>" on a terminal, on stderr in plain mode, with no terminal escape sequences let through.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { createPalette } from '../../src/chat/colors.ts';
import { createRenderer } from '../../src/chat/renderer.ts';

const palette = createPalette(false);
const used = {
  type: 'memory.used',
  run_id: 'r1',
  conversation_id: '33333333-3333-4333-8333-333333333333',
  incidents: [{ conversation_id: '44444444-4444-4444-8444-444444444444', title: 'Checkout OOMKilled\u001b[2J', date: '2026-11-02', resolved_by: 'Scale a workload (name=web, replicas=3)' }],
} as AgentEvent;

function capture() {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), columns: 100, rows: 40, text: () => text };
}

describe('past incidents in the terminal', () => {
  it('on a terminal: one "Seen before" line per incident, without escape sequences', () => {
    const out = capture();
    createRenderer({ style: 'tty', palette, colors: false, out, err: capture() }).event(used);
    expect(out.text()).toContain('Seen before: Checkout OOMKilled, 2026-11-02, resolved by Scale a workload (name=web, replicas=3)');
    expect(out.text()).not.toContain('\u001b[2J');
  });

  it('in plain mode the lines go to stderr and stdout keeps only the answer', () => {
    const out = capture();
    const err = capture();
    createRenderer({ style: 'plain', palette, colors: false, out, err }).event(used);
    expect(err.text()).toBe('skyflo: Seen before: Checkout OOMKilled, 2026-11-02, resolved by Scale a workload (name=web, replicas=3)\n');
    expect(out.text()).toBe('');
  });
});
