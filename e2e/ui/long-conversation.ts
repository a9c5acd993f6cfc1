/**
 * A long conversation made the way a user makes one: turn after turn sent to POST /agent/chat with the page's session
 * cookie, answered by llm-sim, persisted by the engine from the run's events. The answers vary like real ones (a tool
 * call with thinking and a table, YAML in a code block, a report with a list and a table, a one-liner), so the
 * timeline holds tool cards, thinking blocks, code and tables. Each answer quotes its question, so its last entry can
 * be told apart from every other. Used by bench/ui-long-conversation.ts and e2e/ui/long-conversation.test.ts.
 */
import type { UiStack } from './ui-stack.ts';

/** What the user asks on turn `index` (0-based); the word after the number picks the answer's shape. */
export function question(index: number): string {
  const kinds = ['deployments', 'manifest', 'report', 'status'];
  return `Question ${index + 1}: ${kinds[index % kinds.length]} of web?`;
}

export const longConversationScript = {
  rules: [
    {
      match: { lastRole: 'user' as const, userContains: 'deployments' },
      reply: { reasoning: 'The user wants the deployments in default; k8s_get lists them.', toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'default', all_namespaces: false } }] },
    },
    {
      match: { toolName: 'k8s_get' },
      reply: 'You asked: *{{lastUserMessage}}* Only **web** runs in `default`.\n\n| Deployment | Ready | Image |\n|---|---|---|\n| web | 2/2 | nginx:1.27 |\n\nBoth replicas passed their readiness probe.',
    },
    {
      match: { lastRole: 'user' as const, userContains: 'manifest' },
      reply: [
        'You asked: *{{lastUserMessage}}* This is the manifest of **web**:',
        '```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n```',
        'Apply it with `kubectl apply -f web.yaml`; nothing changes until you approve.',
      ].join('\n\n'),
    },
    {
      match: { lastRole: 'user' as const, userContains: 'report' },
      reply: [
        'You asked: *{{lastUserMessage}}*',
        '## Rollout report',
        'The **web** deployment rolled out revision 3 in `default`. Every replica is ready and no pod restarted in the last hour.',
        '- image `nginx:1.27` pulled on both nodes\n- readiness probe passing since 09:14\n- no pending events',
        '| Pod | Node | Restarts | Age |\n|---|---|---|---|\n| web-7c9d-abcde | node-1 | 0 | 2h |\n| web-7c9d-fghij | node-2 | 0 | 2h |',
        'Nothing needs your attention.',
      ].join('\n\n'),
    },
    { match: { lastRole: 'user' as const }, reply: 'You asked: *{{lastUserMessage}}* **web** is healthy: 2/2 ready, 0 restarts.' },
  ],
};

async function sendTurn(stack: UiStack, conversationId: string, content: string): Promise<void> {
  const response = await stack.context.request.post('/api/v1/agent/chat', { data: { messages: [{ role: 'user', content }], conversation_id: conversationId }, timeout: 60_000 });
  const body = await response.text();
  if (!response.ok() || !body.includes('event: completed')) throw new Error(`turn "${content}": HTTP ${response.status()} ${body.slice(-300)}`);
}

/**
 * Creates a conversation of `turns` turns (2 × turns timeline entries) through the API, signed in as the stack's
 * page; returns its id. Sets the stack's llm-sim script.
 */
export async function createLongConversation(stack: UiStack, turns: number): Promise<string> {
  stack.llm.reset(longConversationScript);
  const created = await stack.context.request.post('/api/v1/conversations', { data: {} });
  if (created.status() !== 201) throw new Error(`creating a conversation: HTTP ${created.status()} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  // one turn at a time: a conversation runs one run at a time, as in the product
  for (let index = 0; index < turns; index += 1) await sendTurn(stack, id, question(index));
  return id;
}
