/**
 * A load shared by every caller while it runs or once it succeeded. A failure is not remembered: the next call
 * tries again (a failed import or connection should not need a restart of the engine).
 */
export interface LoadOnce<T> {
  get(): Promise<T>;
  /** the load started so far, if any (to wait for it before closing what it uses) */
  started(): Promise<T> | undefined;
}

export function loadOnce<T>(load: () => Promise<T>): LoadOnce<T> {
  let loading: Promise<T> | undefined;
  return {
    get() {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return loading;
    },
    started: () => loading,
  };
}
