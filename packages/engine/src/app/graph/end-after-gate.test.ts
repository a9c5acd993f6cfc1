/**
 * Issue 77 item 2: a run whose calls an external MCP client made ends after the gate (no model asked for them, none is
 * asked about their result); a call a model made goes back to the model as before, and each run starts without the flag.
 */
import { describe, expect, it } from 'vitest';
import { routeAfterGate } from './build-graph.ts';
import { runInput } from './run-input.ts';
import type { AgentStateValue } from './state.ts';

const state = (patch: Partial<AgentStateValue>): AgentStateValue => ({
  messages: [],
  pendingTools: [],
  awaitingApproval: false,
  loadedToolsets: {},
  iterations: 0,
  stopped: false,
  error: null,
  runId: 'r1',
  endAfterGate: false,
  ...patch,
});

describe('the route after the gate', () => {
  it("ends the run of an external client's call once it ran, and goes back to the model for a model's call", () => {
    expect(routeAfterGate(state({ endAfterGate: true }))).toBe('__end__');
    expect(routeAfterGate(state({}))).toBe('model');
    // awaiting a decision ends every run, as before
    expect(routeAfterGate(state({ awaitingApproval: true }))).toBe('__end__');
  });

  it('starts every run without the flag (a later chat in that conversation reaches the model again)', () => {
    expect(runInput({ runId: 'r2', stopped: false, messages: [{ role: 'user', content: 'and now?' }] }).endAfterGate).toBe(false);
  });
});
