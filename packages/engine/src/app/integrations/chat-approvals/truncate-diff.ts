/** A chat shows at most this much of a diff (Slack's section text limit is 3000 characters; the diff gets most of it). */
const MAX_DIFF_CHARS = 2_500;

/** the diff cut at a line end, with a link to the conversation for the rest */
export function truncateDiff(diff: string, link: string): string {
  if (diff.length <= MAX_DIFF_CHARS) return diff;
  const cut = diff.slice(0, MAX_DIFF_CHARS);
  return `${cut.slice(0, cut.lastIndexOf('\n') > 0 ? cut.lastIndexOf('\n') : cut.length)}\n… (${diff.length - MAX_DIFF_CHARS} more characters: ${link})`;
}
