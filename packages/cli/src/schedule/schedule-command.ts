/**
 * `skyflo schedule …` (issue 81): scheduled checks from the terminal, on the engine's /schedules API, signed in as
 * `skyflo chat` is (SKYFLO_TOKEN — a session's access token, not an API token, which has no scope for schedules — or
 * the login `skyflo chat --login` stored for the URL).
 */
import { parseArgs } from 'node:util';
import type { Schedule, ScheduleInput, ScheduleNotifyChannel, ScheduleRun } from '@skyflo/protocol';
import { createApiClient, type ApiClient } from '../chat/api-client.ts';
import { readChatEnvironment } from '../chat/chat-environment.ts';
import { ChatError } from '../chat/chat-error.ts';
import { createTokenStore } from '../chat/token-store.ts';

export const scheduleUsage = `Usage: skyflo schedule <command> [options]

Commands:
  list                         the schedules you may see (an admin: everyone's)
  add --name N --cron "0 8 * * 1-5" --prompt "…" [--tz Europe/Berlin] [--cluster C] [--namespaces a,b]
      [--propose] [--notify in_app,slack,teams,webhook] [--paused]
                               a new scheduled check (read-only unless --propose)
  run <id|name>                run it now
  runs <id|name> [--limit N]   its runs, newest first, with what was new, resolved and persisted
  delete <id|name>             delete it

Options:
  --url <url>   the engine (default: SKYFLO_URL or http://127.0.0.1:8080)
  --json        print the API's answer as JSON
  -h, --help    show this help
`;

export interface ScheduleIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env?: Record<string, string | undefined>;
}

function describeSchedule(schedule: Schedule): string {
  const scope = [schedule.cluster, schedule.namespaces.join(',')].filter(Boolean).join(' ');
  return `${schedule.id}  ${schedule.name}  "${schedule.schedule}" ${schedule.time_zone}  ${schedule.mode === 'read_only' ? 'read-only' : 'may propose'}${schedule.enabled ? '' : ' (paused)'}${scope ? `  ${scope}` : ''}${schedule.next_run_at ? `  next ${schedule.next_run_at}` : ''}${schedule.owner_email ? `  ${schedule.owner_email}` : ''}`;
}

function describeRun(run: ScheduleRun): string {
  const lines = [`${run.tick}  ${run.status}${run.trigger === 'manual' ? ' (run by hand)' : ''}${run.conversation_id ? `  conversation ${run.conversation_id}` : ''}${run.detail ? `  ${run.detail}` : ''}`];
  if (run.diff?.compared) {
    lines.push(`  ${run.diff.new.length} new, ${run.diff.resolved.length} resolved, ${run.diff.persists.length} persist`);
    for (const finding of run.diff.new) lines.push(`  + ${finding}`);
    for (const finding of run.diff.resolved) lines.push(`  - ${finding}`);
  } else for (const finding of run.findings) lines.push(`  * ${finding}`);
  return lines.join('\n');
}

async function find(client: ApiClient, reference: string | undefined): Promise<Schedule> {
  if (!reference) throw new ChatError('INVALID_OPTIONS', 'Name the schedule (its id or its name).');
  const all = (await client.call((typed) => typed.schedules())).data;
  const matches = all.filter((schedule) => schedule.id === reference || schedule.name === reference);
  if (matches.length === 0) throw new ChatError('INVALID_OPTIONS', `No schedule "${reference}" (skyflo schedule list shows yours).`);
  if (matches.length > 1) throw new ChatError('INVALID_OPTIONS', `Several schedules are named "${reference}": use the id.`);
  return matches[0]!;
}

/** Runs `skyflo schedule <argv>`; answers the exit code. */
export async function schedule(argv: string[], io: ScheduleIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        name: { type: 'string' },
        cron: { type: 'string' },
        tz: { type: 'string' },
        prompt: { type: 'string' },
        cluster: { type: 'string' },
        namespaces: { type: 'string' },
        propose: { type: 'boolean' },
        notify: { type: 'string' },
        paused: { type: 'boolean' },
        limit: { type: 'string' },
      },
    });
  } catch (error) {
    io.stderr.write(`skyflo schedule: ${(error as Error).message}\n\n${scheduleUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, reference] = positionals;
  if (values.help || !command) {
    io.stdout.write(scheduleUsage);
    return command || values.help ? 0 : 2;
  }
  const env = readChatEnvironment(io.env ?? process.env);
  const url = (values.url ?? env.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const store = createTokenStore({ configDir: env.configDir, warn: (message) => io.stderr.write(`skyflo: ${message}\n`) });
  const stored = env.token ? undefined : store.load(url);
  const client = createApiClient({
    baseUrl: url,
    ...(env.token ? { session: { accessToken: env.token } } : stored ? { session: stored } : {}),
    onSessionRenewed: (session) => {
      if (!env.token) store.save(url, { ...session, ...(stored?.email ? { email: stored.email } : {}) });
    },
  });
  const print = (value: unknown, text: string) => io.stdout.write(`${values.json ? JSON.stringify(value, null, 2) : text}\n`);
  try {
    switch (command) {
      case 'list': {
        const list = await client.call((typed) => typed.schedules());
        print(list, list.data.length === 0 ? 'No schedules.' : list.data.map(describeSchedule).join('\n'));
        return 0;
      }
      case 'add': {
        if (!values.name || !values.cron || !values.prompt) throw new ChatError('INVALID_OPTIONS', 'add needs --name, --cron and --prompt.');
        const namespaces = values.namespaces?.split(',').map((item) => item.trim()).filter(Boolean);
        const input: ScheduleInput = {
          name: values.name,
          schedule: values.cron,
          prompt: values.prompt,
          time_zone: values.tz ?? 'UTC',
          mode: values.propose ? 'propose' : 'read_only',
          enabled: !values.paused,
          ...(values.cluster ? { cluster: values.cluster } : {}),
          ...(namespaces?.length ? { namespaces } : {}),
          ...(values.notify ? { notify: values.notify.split(',').map((item) => item.trim()) as ScheduleNotifyChannel[] } : {}),
        };
        const created = await client.call((typed) => typed.createSchedule(input));
        print(created, `Added: ${describeSchedule(created)}`);
        return 0;
      }
      case 'run': {
        const found = await find(client, reference);
        const run = await client.call((typed) => typed.runSchedule(found.id));
        print(run, `Running ${found.name} now (run ${run.id}); skyflo schedule runs ${found.id} shows how it went.`);
        return 0;
      }
      case 'runs': {
        const found = await find(client, reference);
        const limit = values.limit ? Number(values.limit) : 10;
        const runs = await client.call((typed) => typed.scheduleRuns(found.id, limit));
        print(runs, runs.data.length === 0 ? `${found.name} has not run yet.` : runs.data.map(describeRun).join('\n'));
        return 0;
      }
      case 'delete': {
        const found = await find(client, reference);
        await client.call((typed) => typed.deleteSchedule(found.id));
        print({ deleted: found.id }, `Deleted ${found.name}.`);
        return 0;
      }
      default:
        io.stderr.write(`skyflo schedule: unknown command "${command}"\n\n${scheduleUsage}`);
        return 2;
    }
  } catch (error) {
    io.stderr.write(`skyflo schedule: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
