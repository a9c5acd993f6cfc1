/**
 * Issue 20: `skyflo chat` draws a run from the protocol's event → timeline fold (the one the Command Center and the
 * stored timeline use), not from its own reading of the events: a call's line says what the folded record holds, a
 * repeated event draws nothing new (the fold moves a call forward only), and a failed model call is the answer's
 * error as the fold records it.
 */
import type { AgentEvent, TimelineEntry } from '@skyflo/protocol';
import { foldLiveTimelineEvent } from '@skyflo/protocol/timeline-fold';
import { describe, expect, it } from 'vitest';
import { createPalette } from '../../src/chat/colors.ts';
import { createRenderer, type OutputStyle } from '../../src/chat/renderer.ts';

function render(style: OutputStyle, events: AgentEvent[]) {
  let out = '';
  let err = '';
  const renderer = createRenderer({ style, palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 120 }, err: { write: (text: string) => (err += text) }, showToolOutput: true });
  for (const event of events) renderer.event(event);
  return { out, err };
}

const run = { conversation_id: 'c1', run_id: 'r1' };
const identity = { call_id: 'call_scale', tool: 'k8s_scale', title: 'Scale a workload' };
const exactArgs = { name: 'web', namespace: 'shop', replicas: 5 };
const approvalRun: AgentEvent[] = [
  { type: 'tools.pending', ...run, tools: [{ ...identity, args: { name: 'web', replicas: 5 }, requires_approval: true, timestamp: 1 }] },
  { type: 'tool.awaiting_approval', ...run, ...identity, args: exactArgs, args_hash: 'h', destructive: false, context: { conversation_id: 'c1', approval_decisions: {} } },
  { type: 'completed', ...run, status: 'completed', duration: 0, duration_ms: 1, awaiting_approval: true },
  { type: 'tool.approved', ...run, run_id: 'r2', ...identity, args: exactArgs, decided_by: 'u-2', decided_by_email: 'ann@example.com', reason: 'capacity' },
  { type: 'tool.executing', ...run, run_id: 'r2', ...identity, args: exactArgs },
  { type: 'tool.result', ...run, run_id: 'r2', ...identity, args: exactArgs, result: [{ type: 'text', text: 'deployment.apps/web scaled' }] },
  // a stream that repeats itself (a proxy's retry, a re-attach): nothing new happened to the call
  { type: 'tool.executing', ...run, run_id: 'r2', ...identity, args: exactArgs },
  { type: 'tool.result', ...run, run_id: 'r2', ...identity, args: exactArgs, result: [{ type: 'text', text: 'deployment.apps/web scaled' }] },
  { type: 'token', ...run, run_id: 'r2', text: 'web runs ', tokens_generated: 2 },
  { type: 'token', ...run, run_id: 'r2', text: '5 replicas.', tokens_generated: 4 },
  { type: 'workflow.error', ...run, run_id: 'r2', error: 'The model call failed after 3 attempts: HTTP 500' },
  { type: 'completed', ...run, run_id: 'r2', status: 'error', duration: 0, duration_ms: 1 },
];

describe('skyflo chat draws from the protocol fold', () => {
  it('plain: one Running: line per call with the exact arguments, the answer, and the failure as the fold records it', () => {
    const { out, err } = render('plain', approvalRun);
    expect(out).toBe(`Running: k8s_scale ${JSON.stringify(exactArgs)}\ndeployment.apps/web scaled\nweb runs 5 replicas.\n`);
    expect(err).toBe('skyflo: error: The model call failed after 3 attempts: HTTP 500\n');
  });

  it('tty: the call\'s lines say what the folded record says; a repeated event redraws nothing', () => {
    const { out } = render('tty', approvalRun);
    // the running line is replaced in place by the outcome (cursor up, erase), and nothing follows for the repeats
    expect(out).toBe(
      '✓ approved k8s_scale: capacity · by ann@example.com\n' +
        '⏵ k8s_scale name=web namespace=shop replicas=5 running…\n' +
        '\x1b[1A\r\x1b[J✓ k8s_scale name=web namespace=shop replicas=5  1 line\n' +
        'web runs 5 replicas.\n' +
        'error: The model call failed after 3 attempts: HTTP 500\n',
    );

    // the page's reading of the same events (the Command Center folds them with the same function)
    const timeline = approvalRun.reduce<TimelineEntry[]>(foldLiveTimelineEvent, []);
    const answer = timeline.at(-1);
    if (answer?.type !== 'assistant') throw new Error('expected the answer');
    expect(answer.error).toBe('The model call failed after 3 attempts: HTTP 500');
    expect(answer.segments.find((segment) => segment.kind === 'tool')).toMatchObject({ toolExecution: { status: 'completed', args: exactArgs, decided_by_email: 'ann@example.com', reason: 'capacity' } });
  });

  it('a stopped answer is marked once, from the fold', () => {
    const stopped: AgentEvent[] = [
      { type: 'token', ...run, text: 'Looking', tokens_generated: 1 },
      { type: 'completed', ...run, status: 'stopped', duration: 0, duration_ms: 1 },
    ];
    expect(render('tty', stopped).out).toBe('Looking\n■ stopped\n');
    expect(render('plain', stopped)).toEqual({ out: 'Looking\n', err: 'skyflo: the run was stopped\n' });
  });
});
