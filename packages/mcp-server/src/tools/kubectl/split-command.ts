/**
 * Splits a command line into argv the way POSIX shlex does (quotes and backslashes), so tools can
 * accept `command: "sh -c 'echo hi'"` without ever invoking a shell. The rule is @skyflo/protocol's (the cluster's
 * executor computes a k8s_run_pod's pod with the same split).
 */
import { splitCommandLine } from '@skyflo/protocol';
import { ToolInputError } from '../../contract/errors.ts';

export function splitCommand(command: string): string[] {
  const split = splitCommandLine(command);
  if (!split.ok) throw new ToolInputError(split.message, { hint: split.hint });
  return split.words;
}
