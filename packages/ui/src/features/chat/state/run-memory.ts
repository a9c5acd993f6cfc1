/**
 * Which run of a conversation is streaming, kept in sessionStorage so a reload of the page re-attaches to it (the run
 * goes on in the engine). Storage may be disabled; then only the re-attach after a reload is lost.
 */
const runKey = (conversationId: string) => `skyflo.run.${conversationId}`;

/** remembers `runId` as the conversation's streaming run, or forgets it (undefined: the run ended) */
export function rememberRun(conversationId: string, runId: string | undefined): void {
  try {
    if (runId) sessionStorage.setItem(runKey(conversationId), runId);
    else sessionStorage.removeItem(runKey(conversationId));
  } catch {
    // storage disabled: reload re-attach is lost, nothing else
  }
}

/** the run that was streaming when the page was left or reloaded, if any */
export function rememberedRun(conversationId: string): string | undefined {
  try {
    return sessionStorage.getItem(runKey(conversationId)) ?? undefined;
  } catch {
    return undefined;
  }
}
