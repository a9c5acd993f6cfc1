import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeName, kubectlFailure, namespaceOf } from './kubectl-common.ts';
import { splitCommand } from './split-command.ts';
import { kubeEnv, kubectlGlobalArgs } from '../../kube/impersonation.ts';
import { textOutputShape } from '../output-shapes.ts';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'busybox']);
/** kubectl's own last line when the command (not kubectl) failed. */
const EXIT_LINE = /^command terminated with exit code (\d+)\s*$/m;
/** How runtimes and shells say a program does not exist (exit 127, or the runtime refusing to start it). */
const MISSING_PATTERNS = [
  /exec: "([^"]+)": executable file not found in \$PATH/,
  /exec: "([^"]+)": stat [^:]+: no such file or directory/,
  /(?:^|\n)(?:\S*\/)?(?:sh|bash|ash|dash|zsh|ksh): (?:line \d+: |\d+: )?([^:\n]+): (?:command )?not found/,
];

export const k8sExec = defineTool({
  name: 'k8s_exec',
  title: 'Execute Command in Kubernetes Pod',
  description: 'Run a command inside a pod container and return its output (like `kubectl exec -- cmd`). The command is split like a shell would, but no shell runs it unless you call one.',
  toolset: 'k8s',
  inputSchema: {
    pod_name: z.string().min(1).describe('Name of the pod'),
    command: z.string().min(1).describe("Command to run, e.g. \"cat /etc/os-release\" or \"sh -c 'env | sort'\""),
    namespace: z.string().optional().default('default').describe('Namespace of the pod'),
    container_name: z.string().optional().describe('Container to exec into. Required for multi-container pods.'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('pod_name', input.pod_name);
    if (input.container_name) assertSafeName('container_name', input.container_name);
    const namespace = namespaceOf(deps, input.namespace);
    const command = splitCommand(input.command);
    // Everything after `--` goes to the container, never to kubectl, so command words can't be flags.
    const args = ['exec', input.pod_name, '--namespace', namespace, ...(input.container_name ? ['--container', input.container_name] : []), '--', ...command];
    const argv = [...kubectlGlobalArgs(deps), ...args];
    const result = await deps.runner.run({ binary: deps.settings.kubectlPath, args: argv, ...(kubeEnv(deps) ? { env: kubeEnv(deps) } : {}), signal: context.signal, timeoutMs: 60_000 });
    const failed = result.exitCode !== 0 && !result.timedOut;
    const exited = failed ? EXIT_LINE.exec(result.stderr) : undefined;
    const missing = failed ? missingProgram(result.stderr, exited?.[1]) : undefined;
    if (missing || exited) {
      const where = `pod ${input.pod_name}${input.container_name ? ` (container ${input.container_name})` : ''}`;
      if (missing) {
        const program = missing === true ? command[0] : missing;
        const throughShell = SHELLS.has(command[0].split('/').pop() ?? '');
        throw new ToolInputError(`Command not found in the container image: ${program} (in ${where}).`, {
          hint: throughShell
            ? `check that the image of ${where} ships "${program}" (k8s_describe shows the image); minimal images (distroless, scratch) have few programs or none`
            : `check that the image of ${where} ships "${program}" (k8s_describe shows the image), or run it through a shell, e.g. "sh -c '${input.command.replace(/'/g, '')}'" if it is a shell builtin or needs PATH; distroless and scratch images have no shell`,
          code: 'NOT_FOUND',
        });
      }
      // The command ran and failed: its own output says why, so pass it on instead of a kubectl-style hint.
      const output = [result.stdout.replace(/\n$/, ''), result.stderr.replace(EXIT_LINE, '').trim()].filter(Boolean).join('\n');
      throw new ToolInputError(`The command exited with code ${exited![1]} in ${where}${output ? `:\n${output}` : '.'}`, {
        hint: 'the command itself failed (kubectl and the pod are fine); read its output, fix the command and retry',
        code: 'FAILED',
      });
    }
    // Not the command's own failure (a missing pod, a refused connection…): kubectl's message and hint, as for every tool.
    const failure = kubectlFailure(result, `exec in pod ${input.pod_name}`);
    if (failure) throw failure;
    return { text: result.stdout.replace(/\n$/, '') || '(the command printed nothing)' };
  },
});

/** The program a failed exec could not find: its name, true when only the exit code (127) says so, else undefined. */
function missingProgram(stderr: string, exitCode: string | undefined): string | true | undefined {
  for (const pattern of MISSING_PATTERNS) {
    const match = pattern.exec(stderr);
    if (match) return match[1].trim();
  }
  return exitCode === '127' ? true : undefined;
}
