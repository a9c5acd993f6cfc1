/**
 * `skyflo chat` names the team runbooks a run used (issue 36, the `runbook.used` event): a "Runbook: <title>" line
 * before the answer on a terminal, on stderr in plain mode (stdout stays the answer), and a title cannot smuggle
 * terminal escape sequences.
 */
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { createPalette } from '../../src/chat/colors.ts';
import { createRenderer } from '../../src/chat/renderer.ts';

const palette = createPalette(false);
const base = { run_id: 'r1', conversation_id: '33333333-3333-4333-8333-333333333333' };
const used: AgentEvent = {
  type: 'runbook.used',
  ...base,
  runbooks: [
    { name: 'checkout/latency.md', title: 'Checkout latency after a rollout', source: 'directory', reasons: ['alert CheckoutLatencyHigh'] },
    { name: 'oom.md', title: 'Memory leak to OOM', source: 'uploaded', reasons: ['label app=checkout'] },
  ],
};

function capture() {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), columns: 100, rows: 40, text: () => text };
}

describe('runbooks in the terminal', () => {
  it('on a terminal: one "Runbook: <title>" line per runbook, before the answer', () => {
    const out = capture();
    const renderer = createRenderer({ style: 'tty', palette, colors: false, out, err: capture() });
    renderer.event(used);
    renderer.event({ type: 'token', ...base, text: 'p99 rose after web:2.1.\n', tokens_generated: 6 });
    renderer.event({ type: 'generation.complete', ...base } as AgentEvent);
    const lines = out.text().split('\n').map((line) => line.trim());
    const first = lines.indexOf('Runbook: Checkout latency after a rollout');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(lines[first + 1]).toBe('Runbook: Memory leak to OOM');
    expect(out.text().indexOf('p99 rose')).toBeGreaterThan(out.text().indexOf('Runbook: Memory leak to OOM'));
  });

  it('in plain mode the lines go to stderr and stdout keeps only the answer', () => {
    const out = capture();
    const err = capture();
    const renderer = createRenderer({ style: 'plain', palette, colors: false, out, err });
    renderer.event(used);
    expect(err.text()).toBe('skyflo: Runbook: Checkout latency after a rollout\nskyflo: Runbook: Memory leak to OOM\n');
    expect(out.text()).toBe('');
  });

  it('strips escape sequences and control characters from a title (an uploaded file cannot redraw the screen)', () => {
    const out = capture();
    const renderer = createRenderer({ style: 'tty', palette, colors: false, out, err: capture() });
    renderer.event({ ...used, runbooks: [{ name: 'x.md', title: 'Fix\u001b[2J\u001b[1;1H it\rnow\u0007', source: 'uploaded', reasons: [] }] } as AgentEvent);
    expect(out.text()).toContain('Runbook: Fix it now');
    expect(out.text()).not.toContain('\u001b[2J');
    expect(out.text()).not.toContain('\r');
  });
});
