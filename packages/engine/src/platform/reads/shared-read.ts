/**
 * One read for the callers that ask while it is in flight (issue 79 item 5). When 1,000 chats start within a second,
 * each run start read the same rows — the integrations table (twice per model call: Jenkins, then the data sources),
 * the cluster policies and the uploaded runbooks (a settings row each) — and on PGlite every read is a round trip to
 * the one database thread that every run shares. A caller that asks while a read is in flight gets that read's
 * answer; one that asks after it settled starts a new read. Nothing is kept: no answer outlives its read, so what a
 * caller sees is never older than a read it could have started itself a moment earlier.
 * `forget()` is called when a write through the same service has committed, so a read started before it is not
 * handed to anyone who asks after it (a caller that changed a setting reads its change back).
 * The answer is shared: callers must not change it.
 */
export interface SharedRead<T> {
  read(): Promise<T>;
  /** the next caller starts a new read (call once a write has committed) */
  forget(): void;
}

export function sharedRead<T>(read: () => Promise<T>): SharedRead<T> {
  let inFlight: Promise<T> | undefined;
  return {
    read() {
      if (inFlight) return inFlight;
      const started = read();
      inFlight = started;
      const settled = () => {
        if (inFlight === started) inFlight = undefined;
      };
      started.then(settled, settled);
      return started;
    },
    forget() {
      inFlight = undefined;
    },
  };
}
