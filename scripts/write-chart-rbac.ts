/**
 * Writes deploy/helm/skyflo/files/mcp-operate-rules.json: the MCP server's `operate` rules, derived from the tool
 * catalogue (packages/operator/src/rbac/tool-permissions.ts). The chart grants them to the operator so it may create
 * that ClusterRole without the escalate verb. Also deploy/helm/skyflo/files/executor-rules.json: the executor's rules
 * (issue 34). packages/operator/test/helm-chart.test.ts fails when either file is stale.
 *   npx tsx scripts/write-chart-rbac.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, profileRules } from '@skyflo/operator';
import { repoRoot } from '@skyflo/testkit/tools';

export const chartRulesFile = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'files', 'mcp-operate-rules.json');
export const chartRulesText = () => `${JSON.stringify(profileRules('operate'), null, 2)}\n`;
/** deploy/helm/skyflo/files/executor-rules.json: the executor's rules (templates/executor-rbac.yaml) */
export const executorRulesFile = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'files', 'executor-rules.json');
export const executorRulesText = () =>
  `${JSON.stringify({ installNamespace: executorInstallNamespaceRules, grant: executorGrantRules, clusterScope: executorClusterScopeRules, dryRun: executorDryRunRules }, null, 2)}\n`;

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  writeFileSync(chartRulesFile, chartRulesText());
  writeFileSync(executorRulesFile, executorRulesText());
  console.log(`wrote ${path.relative(repoRoot, chartRulesFile)} and ${path.relative(repoRoot, executorRulesFile)}`);
}
