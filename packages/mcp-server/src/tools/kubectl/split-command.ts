/**
 * Splits a command line into argv the way POSIX shlex does (quotes and backslashes), so tools can
 * accept `command: "sh -c 'echo hi'"` without ever invoking a shell.
 */
import { ToolInputError } from '../../errors.ts';

export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const character = command[index];
    if (quote === "'") {
      if (character === "'") quote = undefined;
      else current += character;
    } else if (quote === '"') {
      if (character === '"') quote = undefined;
      else if (character === '\\' && index + 1 < command.length && '"\\$`'.includes(command[index + 1])) current += command[(index += 1)];
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
  if (quote) throw new ToolInputError(`command has an unclosed ${quote} quote.`, { hint: 'close the quote' });
  if (inWord) words.push(current);
  if (words.length === 0) throw new ToolInputError('command is empty.', { hint: 'pass a command such as "ls /"' });
  if (command.includes('\u0000')) throw new ToolInputError('command contains a NUL character.', { hint: 'remove it' });
  return words;
}
