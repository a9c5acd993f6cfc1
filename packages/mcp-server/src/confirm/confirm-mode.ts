/**
 * How the server treats a call that is not read-only from a caller other than the Skyflo engine
 * (`--confirm`). The engine's own connection never goes through this: its approval gate already asked.
 */
export const confirmModes = ['elicit', 'deny', 'allow', 'skyflo'] as const;

/**
 * - `elicit` (default): ask the human through MCP elicitation (tool, exact arguments, dry-run diff) and run only
 *   on accept; a client without the elicitation capability is refused, as with `deny`.
 * - `deny`: refuse every such call; the server is effectively read-only for direct clients.
 * - `allow`: run such calls at once, with no human in the loop (the behaviour of most MCP servers).
 * - `skyflo` (issue 77 item 2): hand the call to the Skyflo engine's approval gate (SKYFLO_ENGINE_URL, with the API
 *   token SKYFLO_ENGINE_TOKEN of the person the calls are proposed for): a 2026-07-28 client is answered
 *   `input_required` with a URL-mode input, the call's approval page in the Command Center; it gets the engine's result
 *   once a person approved there (or in the queue, Slack, Teams). See confirm-through-skyflo.ts and docs/mcp-clients.md.
 */
export type ConfirmMode = (typeof confirmModes)[number];

export const defaultConfirmMode: ConfirmMode = 'elicit';

export function parseConfirmMode(value: string | undefined): ConfirmMode | { error: string } {
  if (value === undefined || value === '') return defaultConfirmMode;
  if ((confirmModes as readonly string[]).includes(value)) return value as ConfirmMode;
  return { error: `--confirm must be one of ${confirmModes.join(', ')}, got "${value}".` };
}

/** The start-up warning for `allow`: loud on purpose, since it removes the human from direct clients' changes. */
export const allowModeWarning =
  'WARNING: --confirm=allow: MCP clients other than the Skyflo engine can change the cluster (scale, delete, exec, helm upgrade…) ' +
  'without anyone confirming. Use --confirm=elicit (the default) to ask a human first, or --read-only.';

const minimumStateKeyLength = 32;

/**
 * MCP_STATE_KEY (--confirm=skyflo's handles are sealed with a key derived from it: external-call-handles.ts): long
 * enough to be a secret. Why it is refused, or undefined when it is usable (or unset: the engine token is used).
 */
export function stateKeyProblem(stateKey: string | undefined): string | undefined {
  if (stateKey === undefined || stateKey.length >= minimumStateKeyLength) return undefined;
  return `MCP_STATE_KEY must be at least ${minimumStateKeyLength} characters (e.g. \`openssl rand -base64 48\`), got ${stateKey.length}.`;
}

