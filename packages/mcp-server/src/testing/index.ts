/**
 * @skyflo/mcp-server/testing: helpers for suites outside this package (e2e/, bench/, evals/) that run the real tools
 * against kube-sim. Never imported by the server itself; see docs/adr/0007-package-boundaries.md.
 */
export { eventually, startKubeHarness, type KubeHarness } from './kube-harness.ts';
