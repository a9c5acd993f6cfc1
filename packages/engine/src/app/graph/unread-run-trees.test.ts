import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { Annotation, END, START, StateGraph, getConfig } from '@langchain/langgraph/web';
import { RunTree } from 'langsmith';
import { describe, expect, it, vi } from 'vitest';
import { skipUnreadRunTrees } from './unread-run-trees.ts';

// where @langchain/core keeps a process's AsyncLocalStorage (its singletons/async_local_storage/globals.js)
const storageKey = Symbol.for('ls:tracing_async_local_storage');
const globals = globalThis as unknown as Record<symbol, unknown>;

/** A two-node graph, as the engine's: what it returns, what a node read of getConfig(), and how many RunTrees it built. */
async function runTwoNodeGraph() {
  const State = Annotation.Root({ steps: Annotation<string[]>({ reducer: (left, right) => [...left, ...right], default: () => [] }) });
  const seenThreads: unknown[] = [];
  const graph = new StateGraph(State)
    .addNode('first', () => ({ steps: ['first'] }))
    .addNode('second', () => {
      if (globals[storageKey] !== undefined) seenThreads.push(getConfig().configurable?.['thread_id']);
      return { steps: ['second'] };
    })
    .addEdge(START, 'first')
    .addEdge('first', 'second')
    .addEdge('second', END)
    .compile();
  // core builds each RunTree without a client, so each one asks langsmith for its shared client once
  const built = vi.spyOn(RunTree, 'getSharedClient');
  try {
    const result = await graph.invoke({ steps: [] }, { configurable: { thread_id: 'conversation-1' } });
    return { steps: result.steps, seenThreads, runTreesBuilt: built.mock.calls.length };
  } finally {
    built.mockRestore();
  }
}

/** Runs `test` with no AsyncLocalStorage installed at its start, and puts back whatever the worker had (unit tests share it). */
async function fromNoStorage(test: () => Promise<void>) {
  const storageBefore = globals[storageKey];
  delete globals[storageKey];
  try {
    await test();
  } finally {
    globals[storageKey] = storageBefore;
  }
}

describe('skipUnreadRunTrees', () => {
  it('a graph run from the web entry builds no RunTree, and returns what it returned before', () =>
    fromNoStorage(async () => {
      skipUnreadRunTrees();
      const run = await runTwoNodeGraph();
      expect(run.steps).toEqual(['first', 'second']);
      expect(run.runTreesBuilt).toBe(0);
    }));

  it('once a real AsyncLocalStorage is installed, runs build their trees again and getConfig() reads them', () =>
    fromNoStorage(async () => {
      skipUnreadRunTrees();
      AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
      const run = await runTwoNodeGraph();
      expect(run.steps).toEqual(['first', 'second']);
      expect(run.seenThreads).toEqual(['conversation-1']);
      expect(run.runTreesBuilt).toBeGreaterThan(0);
    }));

  it('is installed once however many engines ask', async () => {
    skipUnreadRunTrees();
    const installed = AsyncLocalStorageProviderSingleton.runWithConfig;
    skipUnreadRunTrees();
    expect(AsyncLocalStorageProviderSingleton.runWithConfig).toBe(installed);
  });
});
