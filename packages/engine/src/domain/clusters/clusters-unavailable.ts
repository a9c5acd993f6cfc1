/**
 * Why no cluster can be listed, in words a first-time user can act on (issue 37 item 1). One text for the three
 * places that say it: GET /clusters (a typed 503), the start-up log, and through them the home page. The reason is
 * the MCP server's own (for a missing kubeconfig it already names --kubeconfig and KUBECONFIG); when the reason is
 * the kubeconfig, the simulated cluster is pointed to, since a first run without a cluster is the common case.
 */
const sandboxHint = 'No cluster to try Skyflo on? `npm run sandbox` (or `skyflo sandbox`) serves it against a simulated cluster with a few broken apps.';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** true for the MCP server's KubeConfigNotFoundError and its messages (no kubeconfig, a missing or unreadable one) */
export function isKubeconfigProblem(error: unknown): boolean {
  return (error instanceof Error && error.name === 'KubeConfigNotFoundError') || /kubeconfig/i.test(messageOf(error));
}

/**
 * The reason a person reads: the first line (what follows is the hint for the model, "Try: tell the user …"), from
 * the kubeconfig's own sentence on when there is one (not "list_clusters failed: Failed to run list_clusters: ").
 */
function reasonOf(error: unknown): string {
  const firstLine = messageOf(error).split('\n')[0]!.replace(/^error: /, '').trim();
  const kubeconfig = /(No kubeconfig found|The kubeconfig |In-cluster)/.exec(firstLine);
  return kubeconfig ? firstLine.slice(kubeconfig.index) : firstLine;
}

export function clustersUnavailableMessage(error: unknown): string {
  const reason = reasonOf(error);
  const sentence = /[.!?]$/.test(reason) ? reason : `${reason}.`;
  return isKubeconfigProblem(error) ? `${sentence} ${sandboxHint}` : `The clusters could not be listed: ${sentence}`;
}
