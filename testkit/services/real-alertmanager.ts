/**
 * Debian's Alertmanager (`prometheus-alertmanager`, package prometheus-alertmanager) of a test's own: one webhook
 * receiver pointed at a URL with a bearer token, fast grouping timers, its state in a temporary directory, listening on
 * a free loopback port with clustering off (its default would bind 0.0.0.0:9094). A test posts alerts to its v2 API
 * and Alertmanager groups and delivers them as it would in production: the real payloads, the real repeats.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { freeLoopbackPort } from './free-loopback-port.ts';

export interface RealAlertmanagerOptions {
  /** where notifications go (e.g. the engine's /api/v1/alerts/alertmanager) */
  webhookUrl: string;
  /** sent as `Authorization: Bearer …` (http_config.authorization.credentials) */
  bearerToken?: string;
  /** Alertmanager's timers (defaults 1s, 1s, 2s: every notification of a minute's work in seconds) */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  groupBy?: string[];
}

export interface RealAlertmanager {
  /** http://127.0.0.1:<port> */
  url: string;
  /** POST /api/v2/alerts: each alert {labels, annotations?}; they fire until `endsAt` (default: in an hour) */
  fire(alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }>): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

/** Debian installs it as /usr/bin/prometheus-alertmanager; ALERTMANAGER_BINARY overrides it. */
export const alertmanagerBinary = process.env['ALERTMANAGER_BINARY'] ?? 'prometheus-alertmanager';

export async function startRealAlertmanager(options: RealAlertmanagerOptions): Promise<RealAlertmanager> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-alertmanager-'));
  const port = await freeLoopbackPort();
  const config = {
    route: {
      receiver: 'skyflo',
      group_by: options.groupBy ?? ['alertname'],
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: options.repeatInterval ?? '2s',
    },
    receivers: [
      {
        name: 'skyflo',
        webhook_configs: [{ url: options.webhookUrl, send_resolved: true, ...(options.bearerToken ? { http_config: { authorization: { type: 'Bearer', credentials: options.bearerToken } } } : {}) }],
      },
    ],
  };
  writeFileSync(path.join(directory, 'alertmanager.yml'), toYaml(config), { mode: 0o600 });
  let output = '';
  const child: ChildProcess = spawn(
    alertmanagerBinary,
    [`--config.file=${path.join(directory, 'alertmanager.yml')}`, `--storage.path=${path.join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`could not start ${alertmanagerBinary} (Debian's prometheus-alertmanager package): ${error.message}`)));
    });
    // bounded by attempts, not by a clock
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}):\n${output}`);
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((response) => response.ok, () => false);
      if (ready) break;
      if (attempt > 600) throw new Error(`alertmanager did not become ready on ${url}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    async fire(alerts) {
      const endsAt = new Date(Date.now() + 3_600_000).toISOString();
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts.map((alert) => ({ labels: alert.labels, annotations: alert.annotations ?? {}, endsAt: alert.endsAt ?? endsAt }))),
      });
      if (!response.ok) throw new Error(`alertmanager refused the alerts: ${response.status} ${await response.text()}`);
    },
    output: () => output,
    close,
  };
}
