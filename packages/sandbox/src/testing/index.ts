/**
 * @skyflo/sandbox/testing: the kube-sim suites' kubectl harness and their poller, for suites elsewhere (e2e/) that
 * want the same behaviour without reaching into testkit's test folders. See docs/adr/0007-package-boundaries.md.
 */
export { fastSettings, startHarness as startKubectlHarness, waitFor, type KubectlHarness, type KubectlResult } from '../../test/support/kubectl-harness.ts';
