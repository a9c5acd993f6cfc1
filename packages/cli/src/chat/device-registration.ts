/**
 * `skyflo chat --register-device` (issue 35 item 4): posts this terminal's device key (device-key.ts) to the engine,
 * prints where to confirm it, and waits — with progress, Ctrl-C cancels — until its owner confirmed it with a passkey
 * in the Command Center. Only then can the terminal approve calls that need a passkey.
 */
import { setTimeout as delay } from 'node:timers/promises';
import os from 'node:os';
import type { ApiClient } from './api-client.ts';
import type { Context } from './chat-context.ts';
import { openDeviceKey } from './device-key.ts';

/** How often the key's status is asked while waiting. */
const POLL_MS = 1_000;

/** 0 once the key is confirmed; 1 when cancelled. Throws DEVICE_KEY_UNSAFE for a key file others can read. */
export async function registerDevice(context: Context, client: ApiClient): Promise<0 | 1> {
  const { io, palette } = context;
  const key = openDeviceKey(context.env.configDir);
  const known = key.registrationAt(client.baseUrl);
  const existing = known ? await client.deviceKey(known).catch(() => undefined) : undefined;
  if (existing?.status === 'active') {
    io.stdout.write(`${palette.green('This terminal\'s device key is already confirmed')} (${existing.name}, fingerprint ${existing.fingerprint}).\n`);
    return 0;
  }
  const registered = existing ?? (await client.registerDeviceKey({ name: `skyflo chat on ${os.hostname()}`.slice(0, 100), public_key: key.publicKey }));
  key.rememberRegistration(client.baseUrl, registered.id);
  io.stdout.write(
    `Device key ${palette.bold(registered.fingerprint)} registered as pending (${key.file}).\n` +
      `Confirm it with your passkey in the Command Center:\n  ${registered.confirm_url}\n` +
      `Check that the page shows the same fingerprint.\n`,
  );
  const cancel = new AbortController();
  const previous = context.onInterrupt;
  context.onInterrupt = () => cancel.abort();
  const started = Date.now();
  try {
    for (;;) {
      const now = await client.deviceKey(registered.id).catch(() => undefined);
      if (now?.status === 'active') {
        io.stdout.write(`\n${palette.green('Confirmed.')} This terminal now signs approvals that need your passkey.\n`);
        return 0;
      }
      io.stdout.write(`\r${palette.dim(`waiting for your confirmation… ${Math.round((Date.now() - started) / 1000)}s (Ctrl-C cancels)`)}`);
      try {
        await delay(POLL_MS, undefined, { signal: cancel.signal });
      } catch {
        io.stdout.write(`\n${palette.yellow('Cancelled.')} The key stays pending: confirm it later at ${registered.confirm_url}, or run --register-device again.\n`);
        return 1;
      }
    }
  } finally {
    context.onInterrupt = previous;
  }
}
