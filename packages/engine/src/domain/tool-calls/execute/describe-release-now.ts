/**
 * For a helm install, upgrade, rollback or uninstall whose outcome is unknown (the engine stopped while it ran): what
 * helm records about the release now, in one sentence for the "outcome unknown" note. Why: a helm process that did
 * not finish can leave the release `pending-install`, `pending-upgrade` or `pending-rollback`, and helm then refuses
 * every further operation on it ("another operation is in progress") — the operator needs to know which release and
 * what clears it. Read with helm_status, a read-only tool.
 */
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';

const releaseTools = new Set(['helm_install', 'helm_install_with_values', 'helm_upgrade', 'helm_rollback', 'helm_uninstall']);

/** What clears each pending state, so the note says what to do next. */
const pendingAdvice: Record<string, string> = {
  'pending-install': 'helm refuses any other operation on it until it is uninstalled (helm_uninstall); install it again afterwards',
  'pending-upgrade': 'helm refuses any other operation on it until it is rolled back (helm_rollback) to its last deployed revision',
  'pending-rollback': 'helm refuses any other operation on it until it is rolled back (helm_rollback) again',
};

const firstLine = (text: string) => (text.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 200);

export async function describeReleaseNow(tools: Pick<ToolGateway, 'callTool'>, record: { tool: string; args: Record<string, unknown> }): Promise<string | undefined> {
  const { release_name: name, namespace } = record.args;
  if (!releaseTools.has(record.tool) || typeof name !== 'string') return undefined;
  const releaseNamespace = typeof namespace === 'string' ? namespace : 'default';
  const release = `Helm release ${name} in ${releaseNamespace}`;
  try {
    const outcome = await tools.callTool({ name: 'helm_status', args: { release_name: name, namespace: releaseNamespace }, timeoutMs: 15_000 });
    if (outcome.isError) {
      if (/not found/i.test(outcome.text)) return `The cluster now: ${release} does not exist.`;
      return `The cluster now: could not read ${release} (${firstLine(outcome.text)}).`;
    }
    const status = /^STATUS:\s*(\S+)/m.exec(outcome.text)?.[1];
    const revision = /^REVISION:\s*(\d+)/m.exec(outcome.text)?.[1];
    if (!status) return `The cluster now: could not read the status of ${release}.`;
    const state = `${release} is ${status}${revision ? ` (revision ${revision})` : ''}`;
    const advice = pendingAdvice[status];
    return advice ? `The cluster now: ${state} — left mid-operation; ${advice}.` : `The cluster now: ${state}.`;
  } catch (error) {
    return `The cluster now: could not read ${release} (${error instanceof Error ? firstLine(error.message) : 'unknown error'}).`;
  }
}
