// The harness moved to src/testing (exported as @skyflo/mcp-server/testing, for e2e/ and other packages); this path
// stays for the package's own suites, which import it relatively.
export * from '../../src/testing/kube-harness.ts';
