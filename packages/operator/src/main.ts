/**
 * `skyflo operator`: load the kubeconfig, wait for the Lease when leader election is on, then run the controller
 * until SIGTERM/SIGINT, when it stops watching and releases the Lease so a standby takes over at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { loadOperatorConfig, OperatorConfigError, operatorUsage } from './config/operator-config.ts';
import { createLeaderElector } from './controller/leader-election.ts';
import { startOperator, type Operator } from './controller/create-operator.ts';
import { createKubeRest } from './kube/kube-rest.ts';

function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

export async function main(argv: string[]): Promise<void> {
  let config;
  try {
    config = loadOperatorConfig(argv, process.env);
  } catch (error) {
    if (error instanceof OperatorConfigError) {
      process.stderr.write(`skyflo operator: ${error.message}\n\n${operatorUsage}`);
      process.exit(2);
    }
    throw error;
  }
  if (config === 'help') {
    process.stdout.write(operatorUsage);
    return;
  }
  const kubeConfig = new KubeConfig();
  try {
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromDefault();
    if (!kubeConfig.getCurrentCluster()) throw new Error('it names no current cluster');
  } catch (error) {
    process.stderr.write(`skyflo operator: could not load the kubeconfig${config.kubeconfig ? ` ${config.kubeconfig}` : ''}: ${(error as Error).message}\n`);
    process.exit(1);
  }

  let operator: Operator | undefined;
  let ready = false;
  const health = config.healthPort === undefined ? undefined : http.createServer((request, response) => {
    const ok = request.url === '/healthz' || (request.url === '/readyz' && ready);
    response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
  });
  if (health) {
    await new Promise<void>((resolve) => health.listen(config.healthPort, config.healthHost, resolve));
    log('health endpoints listening', { url: `http://${config.healthHost}:${(health.address() as AddressInfo).port}` });
  }

  const elector = config.leaderElect
    ? createLeaderElector({
        kube: createKubeRest(kubeConfig),
        namespace: config.leaderElectionNamespace,
        name: config.leaseName,
        identity: config.identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        retryPeriodMs: config.retryPeriodMs,
        log,
        // Another replica may already be reconciling: stop at once and let the pod restart as a candidate.
        onLost: () => {
          log('lost the lease, exiting');
          process.exit(1);
        },
      })
    : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, stopping`);
    await operator?.stop();
    await elector?.stop();
    health?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  if (elector) {
    log('waiting for the lease', { lease: `${config.leaderElectionNamespace}/${config.leaseName}`, identity: config.identity });
    await elector.leading();
  }
  if (stopping) return;
  operator = await startOperator({ kubeConfig, namespace: config.namespace, mcpRbac: config.mcpRbac, log });
  ready = true;
}
