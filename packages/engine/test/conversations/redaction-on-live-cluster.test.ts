/**
 * Issue 19 item 11, end to end with the real pieces: kube-sim as the cluster, the real MCP server over Streamable
 * HTTP, llm-sim as the model (it records every request it received), the agent routes over HTTP and PGlite as the
 * database. Two paths a secret took to the model, the SSE stream and the database:
 *   1. a tool output holding the shapes that leaked (describe env values after `pwd:`/`X-Api-Key:`/…, several words,
 *      continued lines, `mysql -pPASS` in a container command, a PagerDuty routing key, an htpasswd hash);
 *   2. the model repeating, in its answer, a password it proposed in a tool call (the approval card hides it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBackends, type StorageBackend } from '../storage/harness.ts';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startSimAgent, streamAs, type SimAgent } from '../support/sim-agent.ts';

let cluster: LiveCluster;
let agent: SimAgent;
let database: StorageBackend;
/** the test user's id (conversations reference a real user row) */
let userId: string;

// Fake values, assembled at runtime; each must never be seen outside the cluster.
const fake = (...parts: string[]) => parts.join('');
const describedSecrets = {
  pwdColon: 'ColonPwdE2e4471',
  apiKeyColon: 'XApiKeyE2e4471',
  clientSecretColon: 'ClientSecretE2e4471',
  apiKeyWord: 'ApiKeyColonE2e4471',
  credentialsColon: 'CredentialsE2e4471',
  multiWord: 'StapleE2e4471',
  continued: 'ContinuedE2e4471',
  mysql: 'MysqlRootE2e4471',
  pagerduty: 'PdRoutingE2e4471abcdef0123456789',
  htpasswd: fake('$apr1$', 'e2e4471z$', 'FakeApr1HashE2e4471xyz/'),
};

const kubectl = (...args: string[]) => cluster.kubectl(...args);
const post = streamAs(() => agent.harness.url, () => userId);

/** Every row of every table of the database, as text. */
async function databaseText(): Promise<string> {
  const tables = (await database.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)) as Array<{ table_schema: string; table_name: string }>;
  const rows = await Promise.all(tables.map(async (table) => JSON.stringify(await database.query(`SELECT * FROM "${table.table_schema}"."${table.table_name}"`))));
  expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(['conversations']));
  return rows.join('\n');
}

const s = describedSecrets;
/** a pod whose describe output holds every shape in `describedSecrets` */
const leakyPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'leaky', namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'mysql:8.4',
        command: ['mysql', '-uroot', `-p${s.mysql}`, '-h', 'db'],
        env: [
          { name: 'APP_SECRET', value: `pwd: ${s.pwdColon}` },
          { name: 'API_CREDENTIALS', value: `X-Api-Key: ${s.apiKeyColon}` },
          { name: 'OAUTH_SECRET', value: `client_secret: ${s.clientSecretColon}` },
          { name: 'SERVICE_TOKEN', value: `api_key: ${s.apiKeyWord}` },
          { name: 'GCP_AUTH', value: `credentials: ${s.credentialsColon}` },
          { name: 'DB_PASSWORD', value: `correct horse battery ${s.multiWord}` },
          { name: 'CREDENTIALS', value: `user=app\npass=${s.continued}` },
          { name: 'PAGERDUTY_ROUTING_KEY', value: s.pagerduty },
          { name: 'HTPASSWD_USERS', value: `admin:${s.htpasswd}` },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
      },
    ],
  },
};

beforeAll(async () => {
  cluster = await startLiveCluster({ name: 'redaction-e2e', prepare: ({ apply }) => apply(JSON.stringify(leakyPod)) });
  database = await storageBackends['pglite']!();
  const created = await database.storage.users.create({ email: 'alice@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(`test user not created: ${created.reason}`);
  userId = created.user.id;
  agent = await startSimAgent(cluster.engineTools(), { storage: database.storage });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
  await database?.close();
});

describe('issue 19: secrets in tool output and in the answer never reach the model, the SSE stream or the database', () => {
  it('kubectl describe of a pod with the shapes that leaked: hidden from the model request, SSE and the stored timeline', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_describe', name: 'k8s_describe', arguments: { resource_type: 'pod', name: 'leaky', namespace: 'default' } }] } },
        { match: { toolName: 'k8s_describe' }, reply: 'The pod leaky runs mysql with its settings in env.' },
      ],
    });
    const frames = await post('/agent/chat', { messages: [{ role: 'user', content: 'describe pod leaky' }] });
    expect(find(frames, 'completed')[0]).toMatchObject({ status: 'completed' });
    const described = (find(frames, 'tool.result')[0]!['result'] as Array<{ text: string }>)[0]!.text;
    // not vacuous: the describe output is there, with its keys and the harmless values
    expect(described).toMatch(/APP_SECRET:\s+\[REDACTED\]/);
    expect(described).toMatch(/DB_PASSWORD:\s+\[REDACTED\]/);
    expect(described).toMatch(/LOG_LEVEL:\s+info/);
    expect(described).toMatch(/-uroot/);

    // the model's second request carried the tool result: it is the redacted text
    const toModel = JSON.stringify(agent.sim.calls.map((call) => call.messages));
    expect(toModel).toContain('APP_SECRET:');
    const stream = JSON.stringify(frames);
    const stored = await databaseText();
    expect(stored).toContain('APP_SECRET:');
    for (const [shape, secret] of Object.entries(describedSecrets)) {
      expect(toModel, `${shape} reached the model`).not.toContain(secret);
      expect(stream, `${shape} reached the SSE stream`).not.toContain(secret);
      expect(stored, `${shape} reached the database`).not.toContain(secret);
    }
  }, 60_000);

  it('a password the model proposed in a tool call and then repeats in its answer is hidden in the streamed tokens and the stored message', async () => {
    const proposed = fake('Sup3rS3cret', 'Pw-4471');
    const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: default\nstringData:\n  password: ${proposed}\n`;
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_apply_secret', name: 'k8s_apply', arguments: { content: manifest } }] } },
        // llm-sim streams words of more than 8 characters in 8-character pieces: the password arrives in three chunks
        { match: { toolName: 'k8s_apply' }, reply: `Done: db-credentials now holds the password ${proposed} — keep ${proposed} safe.` },
      ],
    });
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'create the db secret' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(JSON.stringify(first)).not.toContain(proposed); // the approval card already hid it

    const second = await post('/agent/approvals/call_apply_secret', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.result')[0]).toMatchObject({ call_id: 'call_apply_secret' });
    expect(await kubectl('get', 'secret', 'db-credentials', '-o', 'jsonpath={.data.password}')).toBe(Buffer.from(proposed).toString('base64'));

    const tokens = find(second, 'token').map((token) => String(token['text']));
    const streamed = tokens.join('');
    expect(streamed).toContain('Done: db-credentials now holds the password [REDACTED]');
    expect(streamed).toContain('keep [REDACTED] safe.');
    expect(streamed).not.toContain(proposed);
    for (const token of tokens) expect(token).not.toContain(proposed);
    const complete = find(second, 'generation.complete').map((event) => String(event['content'])).join('\n');
    expect(complete).toContain('the password [REDACTED]');
    expect(JSON.stringify(second)).not.toContain(proposed);

    const timeline = JSON.stringify((await database.storage.conversations.get(conversationId))!.timeline);
    expect(timeline).toContain('the password [REDACTED]');
    expect(timeline).not.toContain(proposed);
    const stored = await databaseText();
    expect(stored).toContain('the password [REDACTED]');
    expect(stored).not.toContain(proposed);
  }, 60_000);
});
