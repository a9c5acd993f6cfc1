/**
 * Writes deploy/helm/skyflo/files/mcp-rules.json: the MCP server's rules per access profile, derived from the tool
 * catalogue (packages/operator/src/rbac/tool-permissions.ts). The chart makes the MCP server's ClusterRole or Roles from
 * them (templates/mcp-rbac.yaml), so the operator never has to hold them (issue 73). Also
 * deploy/helm/skyflo/files/executor-rules.json: the executor's rules (issue 34). packages/operator/test/helm-chart.test.ts
 * fails when either file is stale.
 *   npx tsx scripts/write-chart-rbac.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, namespacedRules, profileRules } from '@skyflo/operator';
import { repoRoot } from '@skyflo/testkit/tools';

/** deploy/helm/skyflo/files/mcp-rules.json: the rules of each MCP access profile (templates/mcp-rbac.yaml) */
export const chartRulesFile = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'files', 'mcp-rules.json');
export const chartRulesText = () =>
  `${JSON.stringify(
    {
      readOnly: profileRules('read-only'),
      operate: profileRules('operate'),
      namespaced: namespacedRules(),
      namespacedReadOnly: namespacedRules(profileRules('read-only')),
    },
    null,
    2,
  )}\n`;
/** deploy/helm/skyflo/files/executor-rules.json: the executor's rules (templates/executor-rbac.yaml) */
export const executorRulesFile = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'files', 'executor-rules.json');
export const executorRulesText = () =>
  `${JSON.stringify({ installNamespace: executorInstallNamespaceRules, grant: executorGrantRules, clusterScope: executorClusterScopeRules, dryRun: executorDryRunRules }, null, 2)}\n`;

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  writeFileSync(chartRulesFile, chartRulesText());
  writeFileSync(executorRulesFile, executorRulesText());
  console.log(`wrote ${path.relative(repoRoot, chartRulesFile)} and ${path.relative(repoRoot, executorRulesFile)}`);
}
