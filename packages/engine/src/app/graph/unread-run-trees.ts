/**
 * Stops @langchain/core building a langsmith `RunTree` that nothing can read (issue 38).
 *
 * Every runnable LangGraph runs goes through core's `runWithConfig`, which builds a root `RunTree` (a uuid7, a dozen
 * environment reads, ~30 properties) to put in the AsyncLocalStorage that `getConfig()`, `interrupt()` and langsmith's
 * `traceable` read — 16 of them in a plain chat. The engine loads LangGraph's web entry (build-graph.ts), so no
 * AsyncLocalStorage is installed and core's stand-in storage drops each tree unread: building them was ~15% of the
 * main thread's CPU per two-token chat. `runWithConfig` already skips the root tree when its caller asks (core's own
 * iterators do); this asks for every call while the stand-in is the storage. Nothing else changes: a LangChain
 * tracer's tree (LANGCHAIN_TRACING_V2) is still built, and once anything in the process installs a real
 * AsyncLocalStorage (LangGraph's Node entry does on import) every call builds its tree as before.
 */
import { AsyncLocalStorageProviderSingleton, MockAsyncLocalStorage } from '@langchain/core/singletons';

type Provider = typeof AsyncLocalStorageProviderSingleton & { [skipping]?: true };
const skipping = Symbol.for('skyflo:skip-unread-run-trees');

/** Idempotent: every engine in the process asks, the first one changes core's provider. */
export function skipUnreadRunTrees(): void {
  const provider: Provider = AsyncLocalStorageProviderSingleton;
  if (provider[skipping]) return;
  const runWithConfig = provider.runWithConfig;
  provider.runWithConfig = function <T>(this: Provider, config: unknown, callback: () => T, avoidCreatingRootRunTree?: boolean): T {
    const unread = this.getInstance() instanceof MockAsyncLocalStorage;
    return runWithConfig.call(this, config, callback, avoidCreatingRootRunTree || unread) as T;
  };
  provider[skipping] = true;
}
