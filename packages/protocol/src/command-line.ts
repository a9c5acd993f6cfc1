/**
 * What a tool call's `command` argument means (k8s_run_pod, k8s_exec): argv split the way POSIX shlex does (quotes and
 * backslashes), never a shell. Written once: the MCP server runs this argv, and the cluster's executor (issue 73)
 * computes the pod a k8s_run_pod call creates from the same split.
 */

export type CommandLine = { ok: true; words: string[] } | { ok: false; message: string; hint: string };

export function splitCommandLine(command: string): CommandLine {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const character = command[index]!;
    if (quote === "'") {
      if (character === "'") quote = undefined;
      else current += character;
    } else if (quote === '"') {
      if (character === '"') quote = undefined;
      else if (character === '\\' && index + 1 < command.length && '"\\$`'.includes(command[index + 1]!)) current += command[(index += 1)];
      else current += character;
    } else if (character === "'" || character === '"') {
      quote = character;
      inWord = true;
    } else if (character === '\\' && index + 1 < command.length) {
      current += command[(index += 1)];
      inWord = true;
    } else if (/\s/.test(character)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += character;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `command has an unclosed ${quote} quote.`, hint: 'close the quote' };
  if (inWord) words.push(current);
  if (words.length === 0) return { ok: false, message: 'command is empty.', hint: 'pass a command such as "ls /"' };
  if (command.includes('\u0000')) return { ok: false, message: 'command contains a NUL character.', hint: 'remove it' };
  return { ok: true, words };
}
