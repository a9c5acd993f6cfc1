/** What a tool card's header says about its call, as plain functions (the pending list and the chat page use them too). */

/** "default/web" from the usual arguments, so two calls of one tool can be told apart without expanding them. */
export function target(args: Record<string, unknown>): string | undefined {
  const name = typeof args['name'] === 'string' ? args['name'] : typeof args['resource_name'] === 'string' ? args['resource_name'] : undefined;
  const namespace = typeof args['namespace'] === 'string' ? args['namespace'] : undefined;
  const kind = typeof args['resource_type'] === 'string' ? args['resource_type'] : undefined;
  if (!name && !kind) return undefined;
  return [kind, [namespace, name].filter(Boolean).join('/')].filter(Boolean).join(' ');
}

/** Arguments shown by target() or the cluster chip (context), or too common to tell calls apart. */
const describedElsewhere = new Set(['name', 'resource_name', 'namespace', 'resource_type', 'dry_run', 'confirm', 'context']);

/**
 * The other arguments that tell two calls of one tool apart ("label_selector=app=web output=yaml"): scalars only,
 * false/empty ones left out, each value cut, the whole kept short.
 */
export function distinguishingArgs(args: Record<string, unknown>, max = 80): string | undefined {
  const parts = Object.entries(args)
    .filter(([key, value]) => !describedElsewhere.has(key) && value !== false && value !== null && value !== '' && (typeof value !== 'object' || (Array.isArray(value) && value.length > 0)))
    .map(([key, value]) => {
      const text = Array.isArray(value) ? value.join(',') : String(value).replace(/\s+/g, ' ');
      return `${key}=${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
    });
  if (parts.length === 0) return undefined;
  const joined = parts.join(' ');
  return joined.length > max ? `${joined.slice(0, max - 1)}…` : joined;
}

/** The engine's note when an output was cut to the output budget ("[output cut: showing the first 200 of 5000 lines …]"). */
export function outputCut(text: string): string | undefined {
  return /\[output cut: ([^\]]+)\]/.exec(text)?.[1];
}
