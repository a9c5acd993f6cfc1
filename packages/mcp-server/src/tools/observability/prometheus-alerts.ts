import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { querySource, warningLines } from './data-sources.ts';
import { formatMetric } from './summarise-series.ts';
import { summaryShare } from './prometheus-query.ts';

const severityRank: Record<string, number> = { critical: 0, error: 1, warning: 2, info: 3 };

export const prometheusAlerts = defineTool({
  name: 'prometheus_alerts',
  title: 'Prometheus: Alerts and Rules',
  description: 'List the alerts firing or pending on the cluster\'s Prometheus (most severe first), with their summaries; include_rules also lists every alerting rule with its state and query.',
  toolset: 'observability',
  tags: ['metrics'],
  inputSchema: {
    include_rules: z.boolean().optional().describe('Also list the alerting rules (name, state, PromQL)'),
  },
  outputSchema: withTextOutput({ alerts: z.array(z.json()).optional().describe('the alerts as Prometheus answered them (labels, annotations, state, activeAt, value), most severe first'), warnings: z.array(z.string()).optional().describe('what Prometheus warned about this answer'), prometheus_url: z.string().optional() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const answer = await querySource('prometheus', '/api/v1/alerts', new URLSearchParams(), deps, context);
    if (!answer.ok) return answer.output;
    const warnings = [...answer.warnings];
    const alerts = ((Array.isArray(answer.json.data?.alerts) ? answer.json.data.alerts : []) as any[]).sort(
      (a, b) => (severityRank[a.labels?.severity] ?? 9) - (severityRank[b.labels?.severity] ?? 9) || String(a.labels?.alertname).localeCompare(String(b.labels?.alertname)),
    );
    const lines = alerts.map((alert) => {
      const { alertname, severity, ...labels } = alert.labels ?? {};
      const about = alert.annotations?.description ?? alert.annotations?.summary ?? '';
      return `[${alert.state}] ${alertname} (${severity ?? 'no severity'}) ${formatMetric(labels)} since ${alert.activeAt ?? '?'}${about ? ` — ${about}` : ''}`;
    });
    const parts = [alerts.length === 0 ? 'No alerts are firing or pending.' : `${alerts.length} alert(s), most severe first:`, ...lines];
    if (input.include_rules) {
      const rules = await querySource('prometheus', '/api/v1/rules', new URLSearchParams({ type: 'alert' }), deps, context);
      if (!rules.ok) return rules.output;
      const list = ((rules.json.data?.groups ?? []) as any[]).flatMap((group) => (group.rules ?? []).map((rule: any) => `${group.name}/${rule.name} [${rule.state ?? rule.health}]: ${rule.query}`));
      parts.push('', `${list.length} alerting rule(s):`, ...list);
      warnings.push(...rules.warnings.filter((warning) => !warnings.includes(warning)));
    }
    let text = parts.join('\n');
    const budget = Math.floor(deps.settings.outputBudgetBytes * summaryShare);
    if (Buffer.byteLength(text) > budget) text = `${text.slice(0, budget)}\n… (cut; the rest is in the Prometheus UI)`;
    // after the cut: a warning that the answer is partial is never the part cut away
    text = [text, ...warningLines('prometheus', warnings)].join('\n');
    return { text, structured: { alerts: alerts.slice(0, 50), ...(warnings.length > 0 ? { warnings } : {}), prometheus_url: answer.url } };
  },
});
