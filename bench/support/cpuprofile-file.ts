/**
 * What the two profile summaries (cpuprofile-top.ts, cpuprofile-packages.ts) share: the .cpuprofile's shape and
 * their command line (one profile, then an optional count).
 */
import { readFile } from 'node:fs/promises';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The profile named first in `positional` and the count after it (`defaultCount` when absent). Anything else exits
 * with `usage` and what was wrong: a second profile where the count goes (a shell glob that also matched the profile
 * a node started with --import tsx writes for its loader thread) printed the header and nothing else.
 */
export async function readProfileArguments(positional: string[], usage: string, defaultCount: number): Promise<{ file: string; profile: Profile; count: number }> {
  const [file, countArgument, ...extra] = positional;
  if (!file || extra.length > 0 || (countArgument !== undefined && !/^\d+$/.test(countArgument))) {
    console.error(`usage: ${usage}`);
    if (extra.length > 0 || countArgument !== undefined) console.error(`one profile and a count, not: ${[countArgument, ...extra].join(' ')} (a node started with --import tsx writes a second profile, for its loader thread)`);
    process.exit(2);
  }
  return { file, profile: JSON.parse(await readFile(file, 'utf8')) as Profile, count: Number(countArgument ?? defaultCount) };
}
