/**
 * Arguments of a command held as a list — a container's `command`/`args` in an object, YAML `- item` runs and
 * kubectl describe's `Command:`/`Args:` blocks in text — read as the command line they make up.
 */
import { isSecretName, isTrivialValue, redactCommandArguments, type Mask } from './rules.ts';

/** A flag naming a secret whose value is the next argument: ["--db-password", "x"] (not "--db-password=x"). */
const SPLIT_FLAG = /^--?([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

export function isSecretFlag(argument: string): boolean {
  const flag = SPLIT_FLAG.exec(argument);
  return Boolean(flag && isSecretName(flag[1]!) && /(?:password|passwd|passphrase|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credentials?)/i.test(flag[1]!));
}

const LIST_ITEM_LINE = /^(\s*-\s+)(["']?)(.*?)\2\s*$/;
const DESCRIBE_COMMAND_HEADER = /^(\s*)(?:Command|Args):\s*$/;

/**
 * Command lines held as lists in text: YAML `- item` runs (`- --db-password` then `- value`, or `- mysql`,
 * `- -pPASS`) and kubectl describe's `Command:`/`Args:` blocks (one argument per line). Each run is read as one
 * command line (redactCommandArguments); the value after a secret-named flag item is the secret.
 */
export function redactArgumentLines(text: string, mask: Mask): string {
  const lines = text.split('\n');
  const runs: number[][] = [];
  let run: number[] = [];
  let runIndent = -1;
  let describeIndent = -1;
  const close = () => {
    if (run.length > 1) runs.push(run);
    run = [];
    runIndent = -1;
  };
  lines.forEach((line, index) => {
    const header = DESCRIBE_COMMAND_HEADER.exec(line);
    if (header) {
      close();
      describeIndent = header[1]!.length;
      return;
    }
    const indent = line.length - line.trimStart().length;
    if (describeIndent >= 0) {
      if (line.trim() !== '' && indent > describeIndent && (runIndent < 0 || indent === runIndent)) {
        runIndent = indent;
        run.push(index);
        return;
      }
      describeIndent = -1;
      close();
    }
    const item = LIST_ITEM_LINE.exec(line);
    if (item && !/^[\w.-]+:(?:\s|$)/.test(item[3]!) && (runIndent < 0 || item[1]!.length === runIndent)) {
      runIndent = item[1]!.length;
      run.push(index);
      return;
    }
    close();
    if (item && !/^[\w.-]+:(?:\s|$)/.test(item[3]!)) {
      runIndent = item[1]!.length;
      run.push(index);
    }
  });
  close();
  for (const indexes of runs) {
    const parsed = indexes.map((index) => {
      const item = LIST_ITEM_LINE.exec(lines[index]!);
      const line = lines[index]!;
      return item ? { head: item[1]!, quote: item[2]!, value: item[3]! } : { head: line.slice(0, line.length - line.trimStart().length), quote: '', value: line.trim() };
    });
    const values = parsed.map((entry) => entry.value);
    const asCommand = redactCommandArguments(values, mask);
    parsed.forEach((entry, position) => {
      const previous = values[position - 1];
      let value = asCommand[position]!;
      if (value === entry.value && previous !== undefined && isSecretFlag(previous) && !entry.value.startsWith('-') && !isTrivialValue(entry.value) && !/^\[REDACTED/.test(entry.value)) value = mask(entry.value);
      if (value !== entry.value) lines[indexes[position]!] = `${entry.head}${entry.quote}${value}${entry.quote}`;
    });
  }
  return lines.join('\n');
}

