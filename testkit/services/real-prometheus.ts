/**
 * Debian's `prometheus` binary (installed by .ci/run) of a test's own: its configuration and data in a temporary
 * directory, listening on a free loopback port, scraping the targets it is given (kube-sim's /metrics) every second.
 * Nothing beyond loopback: the only remote it may be told of is a loopback port nothing listens on, which is how a
 * test gets the `warnings` of a partial answer from the real engine (a remote-read store that did not answer, what
 * Thanos and Mimir report the same way).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { freeLoopbackPort } from './free-loopback-port.ts';

export interface RealPrometheusTarget {
  /** the scrape job's name */
  job: string;
  /** base URL, e.g. http://127.0.0.1:40123 (scraped at /metrics) */
  url: string;
  /** the bearer token the target asks for */
  bearerToken?: string;
}

export interface RealPrometheusOptions {
  targets: RealPrometheusTarget[];
  /** seconds between scrapes and rule evaluations (default 1) */
  intervalSeconds?: number;
  /** add a remote-read store on a loopback port nothing listens on: queries reaching before this start carry warnings */
  unreachableRemoteRead?: boolean;
  /** alerting/recording rule groups (Prometheus' rule file format, as objects) */
  ruleGroups?: unknown[];
  /** where alerts go: Alertmanager base URLs (http://127.0.0.1:port) */
  alertmanagers?: string[];
}

export interface RealPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  /** what the process wrote (for a failing test's message) */
  output(): string;
  close(): Promise<void>;
}

/** The binary: Debian installs it as /usr/bin/prometheus; PROMETHEUS_BINARY overrides it. */
export const prometheusBinary = process.env['PROMETHEUS_BINARY'] ?? 'prometheus';

async function answersReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

export async function startRealPrometheus(options: RealPrometheusOptions): Promise<RealPrometheus> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-prometheus-'));
  const interval = `${options.intervalSeconds ?? 1}s`;
  const [port, remotePort] = await Promise.all([freeLoopbackPort(), options.unreachableRemoteRead ? freeLoopbackPort() : Promise.resolve(0)]);
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: options.targets.map((target) => {
      const url = new URL(target.url);
      return {
        job_name: target.job,
        // kube-sim's series carry their own job (kube-state-metrics, kubelet, the app), as a federated source would
        honor_labels: true,
        scheme: url.protocol.replace(':', ''),
        static_configs: [{ targets: [url.host] }],
        ...(target.bearerToken ? { authorization: { type: 'Bearer', credentials: target.bearerToken } } : {}),
      };
    }),
  };
  if (options.unreachableRemoteRead) config['remote_read'] = [{ url: `http://127.0.0.1:${remotePort}/api/v1/read`, remote_timeout: '2s' }];
  if (options.ruleGroups?.length) {
    writeFileSync(path.join(directory, 'rules.yml'), toYaml({ groups: options.ruleGroups }));
    config['rule_files'] = [path.join(directory, 'rules.yml')];
  }
  if (options.alertmanagers?.length) {
    config['alerting'] = { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers.map((url) => new URL(url).host) }] }] };
  }
  writeFileSync(path.join(directory, 'prometheus.yml'), toYaml(config), { mode: 0o600 });

  let output = '';
  const child: ChildProcess = spawn(
    prometheusBinary,
    [`--config.file=${path.join(directory, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`could not start ${prometheusBinary} (Debian's prometheus package; .ci/run installs it): ${error.message}`)));
  });
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
    await spawned;
    // bounded by attempts, not by a clock: a start takes a second idle and longer on a loaded machine
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${output}`);
      if (await answersReady(url)) break;
      if (attempt > 600) throw new Error(`prometheus did not become ready on ${url}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { url, output: () => output, close };
}
