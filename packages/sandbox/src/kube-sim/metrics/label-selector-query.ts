/** Parses a `labelSelector` query (`app=web,tier!=db,env in (a,b),!legacy`) into a predicate on labels. */
export function parseLabelSelector(text: string | null): (labels: Record<string, string> | undefined) => boolean {
  if (!text || !text.trim()) return () => true;
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of text) {
    if (character === '(') depth++;
    if (character === ')') depth--;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  const tests = parts.map((part) => part.trim()).filter(Boolean).map((part) => {
    let match = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
    if (match) {
      const [, key, operator, list] = match;
      const values = list.split(',').map((value) => value.trim());
      return (labels: Record<string, string>) => (operator === 'in' ? key in labels && values.includes(labels[key]) : !(key in labels) || !values.includes(labels[key]));
    }
    match = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (match) {
      const [, key, operator, value] = match;
      return (labels: Record<string, string>) => (operator === '!=' ? labels[key] !== value : labels[key] === value);
    }
    if (part.startsWith('!')) return (labels: Record<string, string>) => !(part.slice(1) in labels);
    return (labels: Record<string, string>) => part in labels;
  });
  return (labels) => tests.every((test) => test(labels ?? {}));
}
