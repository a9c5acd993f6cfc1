/** Namespace and cluster patterns: `*` matches any run of characters, everything else itself ("payments-*"). */
export function globMatches(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value);
}
