/**
 * The real kubectl against a test's kube-sim, as its admin (the kubeconfig kube-sim wrote), with stdin for `apply -f -`:
 * what the suites that declare objects in the cluster (schedules, policies, freezes) apply them with.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubectlPath } from '@skyflo/testkit/tools';

const run = promisify(execFile);

/** `kubectl(args, input?)` → its trimmed stdout; `directory` holds kubectl's discovery cache. */
export function kubectlFor(kubeconfig: () => string, directory: () => string) {
  return async (args: string[], input?: string): Promise<string> => {
    const child = run(kubectlPath, ['--kubeconfig', kubeconfig(), ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory(), 'cache') } });
    if (input !== undefined) {
      child.child.stdin!.write(input);
      child.child.stdin!.end();
    }
    return (await child).stdout.trim();
  };
}
