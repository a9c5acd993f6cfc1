/**
 * Issue 80 item 7: `npm run sandbox` works without any model key. When no `LLM_MODEL` is set, the sandbox starts the
 * project's own scripted model (llm-sim, on 127.0.0.1) with a script for the sandbox's incidents, so a newcomer can
 * click through an investigation, an approval, the verification and an Undo before choosing a provider.
 *
 * It is labelled everywhere a person looks: the start-up lines say so, the model is named `skyflo-demo` (Settings →
 * Model shows it), and every answer it gives starts with "Demo model:". It knows only the demo cluster's two
 * incidents; anything else gets an answer saying what it can do and how to use a real model. Its tool calls go
 * through the same gate as any model's: the rollback it proposes waits for the person's approval.
 */
import { sandboxDemoModel } from '@skyflo/protocol';
import { startLlmSim, type LlmScript, type LlmSim } from '@skyflo/testkit/llm-sim';

export const demoModelName = sandboxDemoModel;

const label = 'Demo model:';

/** The demo cluster's incidents (packages/sandbox/src/kube-sim/scenarios/demo.yaml), played as a competent model would. */
export const demoModelScript: LlmScript = {
  rules: [
    // a rollback of checkout, asked after the diagnosis (first: "roll checkout back" also names checkout)
    { name: 'rollback-asked', match: { lastRole: 'user', userMatches: '\\b(roll(ed|ing)?\\s*(it|checkout)?\\s*back|rollback|fix it|undo the release)\\b' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { name: 'rollback-proposed', match: { toolName: 'load_toolset' }, reply: { text: `${label} I'll roll **checkout** in **prod** back to revision 1, the last one that started. Review the diff on the card and approve it if it is what you expect.`, toolCalls: [{ name: 'k8s_rollout_undo', arguments: { name: 'checkout', resource_type: 'deployment', namespace: 'prod', to_revision: 1 } }] } },
    { name: 'rollback-done', match: { toolName: 'k8s_rollout_undo', toolResultContains: 'rolled back' }, reply: `${label} **checkout** is rolled back to revision 1: \`DATABASE_URL\` points at \`postgres.prod.svc.cluster.local\` again. The card above verifies that the new pods become ready, and offers **Undo** if you want revision 2 back.` },
    { name: 'rollback-not-run', match: { toolName: 'k8s_rollout_undo' }, reply: `${label} The rollback did not run (see the card for why), so **checkout** is unchanged and still crash-looping. Ask me to roll it back again when you want to.` },
    // checkout in prod crash-loops: its revision 2 points DATABASE_URL at a host that does not resolve
    { name: 'checkout-asked', match: { lastRole: 'user', userContains: 'checkout' }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'prod', label_selector: 'app=checkout' } }] } },
    { name: 'checkout-pods-read', match: { toolName: 'k8s_get', toolResultContains: 'checkout' }, reply: { text: `${label} the checkout pods keep restarting; let me look at what their Deployment changed.\n\n`, toolCalls: [{ name: 'k8s_describe', arguments: { resource_type: 'deployment', name: 'checkout', namespace: 'prod' } }] } },
    {
      name: 'checkout-diagnosed',
      match: { toolName: 'k8s_describe', toolResultContains: 'postgres-primary' },
      reply:
        `${label} **checkout** in **prod** crash-loops because its latest revision (2, "deploy checkout 2.3.1 (move to primary database)") changed ` +
        '`DATABASE_URL` to `postgres-primary.prod.svc.cluster.local`, a host that does not exist in the cluster: the ' +
        'container exits at start-up when it cannot resolve it, and Kubernetes restarts it with a growing back-off. ' +
        'Revision 1 used `postgres.prod.svc.cluster.local` and ran fine.\n\n' +
        'The quickest safe fix is to **roll checkout back to revision 1**. Say "roll it back" and I will propose it; ' +
        'nothing changes until you approve the card.',
    },
    // frontend in staging: a tag that was never pushed
    { name: 'frontend-asked', match: { lastRole: 'user', userContains: 'frontend' }, reply: { toolCalls: [{ name: 'k8s_describe', arguments: { resource_type: 'pod', name: 'frontend', namespace: 'staging' } }] } },
    {
      name: 'frontend-diagnosed',
      match: { toolName: 'k8s_describe', toolResultContains: 'frontend' },
      reply:
        `${label} **frontend** in **staging** cannot start because its image \`registry.acme.io/frontend:2.8.0-rc1\` ` +
        'cannot be pulled: the registry has no such tag (the pod events show `ErrImagePull`, then `ImagePullBackOff`). ' +
        'Either push that tag, or point the Deployment at a tag that exists (the previous release). A real model would ' +
        'propose the image change as a card for you to approve; this demo knows only the checkout rollback.',
    },
  ],
  fallback:
    `${label} I am Skyflo's scripted demo model: I know this sandbox's two incidents and nothing else. Ask ` +
    '"why is the checkout pod in prod crash-looping?" or "why can\'t the frontend in staging pull its image?". For a ' +
    'real model, restart it with one, e.g. `LLM_MODEL=openai/gpt-4o OPENAI_API_KEY=… npm run sandbox`.',
};

export interface DemoModel {
  /** the engine's settings for it; empty when a real model is configured */
  env: Record<string, string>;
  /** what the start-up banner says about the model */
  lines: string[];
  close(): Promise<void>;
}

/**
 * The demo model, when `env` names no model; otherwise nothing (the configured model is used). `LLM_MODEL` set but
 * empty counts as unset, as the engine's configuration treats it.
 */
export async function startDemoModel(env: Readonly<Record<string, string | undefined>>): Promise<DemoModel> {
  if (env['LLM_MODEL']?.trim()) return { env: {}, lines: [], close: async () => {} };
  const sim: LlmSim = await startLlmSim({ port: 0, host: '127.0.0.1', script: demoModelScript });
  return {
    env: {
      LLM_MODEL: `openai-compatible/${demoModelName}`,
      LLM_HOST: sim.url,
      // a title request would get the demo's fallback; the conversation is named from its first message instead
      TITLE_GENERATION_ENABLED: 'false',
    },
    lines: [`  model: the demo model (${demoModelName}: scripted, knows this sandbox's two incidents; set LLM_MODEL for a real one)`],
    close: () => sim.close(),
  };
}
