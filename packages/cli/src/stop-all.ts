/**
 * `skyflo stop-all` (issue 76): engages the engine's emergency stop (POST /api/v1/emergency-stop), or lifts it with
 * --lift (DELETE). An admin's login: SKYFLO_TOKEN, else the login `skyflo chat` stored for that engine (renewed
 * with its refresh token when it expired). Every replica reads the switch from the database.
 */
import { parseArgs } from 'node:util';
import { emergencyStopStateSchema } from '@skyflo/protocol';
import { createApiClient } from './chat/api-client.ts';
import { readChatEnvironment } from './chat/chat-environment.ts';
import { createTokenStore } from './chat/token-store.ts';

export const stopAllUsage = `Usage: skyflo stop-all --reason <text> [--url <url>]
       skyflo stop-all --lift [--url <url>]

Engages the emergency stop: every replica refuses every approval and every change (EMERGENCY_STOP) until an admin
lifts it; reads keep working. Needs an admin's login: SKYFLO_TOKEN, or the one \`skyflo chat --login\` stored.

Options:
  --reason <text>   why (shown with every refusal and in the audit trail); required to engage
  --lift            lift the emergency stop instead
  --url <url>       the engine (default: SKYFLO_URL or http://127.0.0.1:8080)
  -h, --help        show this help
`;

export interface StopAllIo {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  fetch?: typeof fetch;
}

/** Returns the exit status: 0 done, 1 refused or unreachable, 2 invalid options. */
export async function stopAll(argv: string[], io: StopAllIo): Promise<number> {
  let values: { reason?: string | undefined; lift?: boolean | undefined; url?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { reason: { type: 'string' }, lift: { type: 'boolean' }, url: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    io.stderr.write(`skyflo stop-all: ${error instanceof Error ? error.message : String(error)}\n\n${stopAllUsage}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(stopAllUsage);
    return 0;
  }
  if (!values.lift && !values.reason?.trim()) {
    io.stderr.write(`skyflo stop-all: --reason is required to engage the emergency stop (or --lift to lift it)\n\n${stopAllUsage}`);
    return 2;
  }
  const environment = readChatEnvironment(io.env);
  const url = (values.url ?? environment.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const store = createTokenStore({ configDir: environment.configDir, warn: (message) => io.stderr.write(`skyflo: ${message}\n`) });
  const stored = environment.token ? undefined : store.load(url);
  const session = environment.token ? { accessToken: environment.token } : stored;
  if (!session) {
    io.stderr.write(`skyflo stop-all: not logged in to ${url}: run \`skyflo chat --login --url ${url}\` once, or set SKYFLO_TOKEN.\n`);
    return 1;
  }
  // me() renews an expired stored login with its refresh token (and keeps the renewed one)
  const client = createApiClient({ baseUrl: url, session, ...(io.fetch ? { fetch: io.fetch } : {}), onSessionRenewed: (renewed) => (stored ? store.save(url, { ...renewed, ...(stored.email ? { email: stored.email } : {}) }) : undefined) });
  try {
    await client.me();
  } catch (error) {
    io.stderr.write(`skyflo stop-all: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const response = await (io.fetch ?? fetch)(`${url}/api/v1/emergency-stop`, {
    method: values.lift ? 'DELETE' : 'POST',
    headers: { authorization: `Bearer ${client.session()!.accessToken}`, ...(values.lift ? {} : { 'content-type': 'application/json' }) },
    ...(values.lift ? {} : { body: JSON.stringify({ reason: values.reason!.trim() }) }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    io.stderr.write(`skyflo stop-all: ${String(body['detail'] ?? `HTTP ${response.status}`)}\n`);
    return 1;
  }
  const state = emergencyStopStateSchema.parse(body);
  if (values.lift) io.stdout.write(body['lifted'] === false ? `The emergency stop was not on at ${url}.\n` : `Emergency stop lifted at ${url}: approvals and changes work again.\n`);
  else io.stdout.write(`Emergency stop ON at ${url} since ${state.since} (by ${state.by}): ${state.reason}\nEvery replica refuses approvals and changes (EMERGENCY_STOP) until \`skyflo stop-all --lift\`.\n`);
  return 0;
}
