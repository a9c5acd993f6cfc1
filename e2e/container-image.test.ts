/**
 * The container image, built from the Dockerfile with buildah and run with podman, as CI can: the base is made
 * locally (deploy/docker/make-local-base.sh: Debian minbase + Node and npm from the npm registry) and kubectl/helm
 * come from the build context (CLUSTER_BINARIES=context, the npm package's binaries), because CI reaches only npm
 * and Debian. Checks: `serve` answers /api/v1/health on a read-only root filesystem with /data on a volume, as a
 * non-root user under tini; `mcp` answers its health check; the cluster CLIs are in the image; labels, healthcheck.
 *
 * How it is built is support/container-image-build.ts; under `npm test` the build runs beside the suites
 * (support/image-build-ahead.ts) and this file, the run's second phase, waits for it and runs the image.
 *
 * Why the extra podman flags, all about this CI sandbox rather than the image: podman uses runc (crun refuses the
 * host's hybrid cgroup layout: "cgroups in hybrid mode not supported"); the host lacks CAP_SYS_RESOURCE, so the
 * container's rlimits are set below the host's own (podman's defaults raise them: "setrlimit RLIMIT_NOFILE: Operation
 * not permitted"); podman would schedule the HEALTHCHECK with systemd timers, and there is no systemd (the test runs
 * the check itself).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImageFromContext, makeImageContext, sh } from './support/container-image-build.ts';
import { awaitImageBuiltAhead } from './support/image-build-ahead.ts';
import { waitForJson } from './support/release-tarball.ts';

const runFlags = ['--runtime', 'runc', '--no-healthcheck', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];
const containers: string[] = [];
const volumes: string[] = [];
let tag = '';
/** The buildah working containers the build left behind (it removed them, and says which). */
let leftContainers: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startContainer(args: string[], port: number, containerPort: number): Promise<string> {
  const id = (await sh('podman', ['run', '-d', ...runFlags, '--read-only', '--tmpfs', '/tmp', '-p', `127.0.0.1:${port}:${containerPort}`, ...args])).trim();
  containers.push(id);
  return id;
}

beforeAll(async () => {
  // `npm test` builds the image beside the suites (support/image-build-ahead.ts); run alone, this file builds it
  const builtAhead = await awaitImageBuiltAhead(process.env['SKYFLO_TEST_RUN'], 1_800_000);
  if (builtAhead) {
    ({ tag, leftContainers } = builtAhead);
    return;
  }
  tag = `localhost/skyflo:ci-${process.pid}`;
  ({ leftContainers } = await buildImageFromContext(await makeImageContext(), tag));
}, 1_800_000);

afterAll(async () => {
  for (const id of containers) await sh('podman', ['rm', '-f', id]).catch(() => {});
  for (const volume of volumes) await sh('podman', ['volume', 'rm', '-f', volume]).catch(() => {});
  if (tag) await sh('podman', ['rmi', '-f', tag]).catch(() => {});
}, 120_000);

describe('the container image', { timeout: 180_000 }, () => {
  it('declares a non-root user, tini as PID 1, a healthcheck, the data volume and OCI labels', async () => {
    const [image] = JSON.parse(await sh('podman', ['image', 'inspect', tag]));
    expect(image.Config.User).toBe('10001:10001');
    expect(image.Config.Entrypoint).toEqual(['/usr/local/bin/tini', '--', 'skyflo']);
    expect(image.Config.Cmd).toEqual(['serve']);
    expect(Object.keys(image.Config.Volumes ?? {})).toEqual(['/data']);
    expect(image.Config.Labels['org.opencontainers.image.title']).toBe('Skyflo');
    expect(image.Config.Labels['org.opencontainers.image.revision']).toBe('ci');
    const healthcheck = image.Healthcheck ?? image.Config.Healthcheck;
    expect(healthcheck?.Test).toEqual(['CMD', 'node', '/opt/skyflo/healthcheck.mjs']);
  });

  it('leaves no working container behind: each would pin a stage image of hundreds of MB on the build machine', () => {
    // buildah 1.28 keeps the container of a stage with no instruction of its own (the Dockerfile's `binaries`)
    expect(leftContainers).toEqual([]);
  });

  it('carries kubectl and helm for the MCP server, and no npm or compiler', async () => {
    const versions = await sh('podman', ['run', '--rm', ...runFlags, '--entrypoint', 'sh', tag, '-c', 'kubectl version --client; helm version --short; command -v npm gcc cc make || echo "no build tools"']);
    expect(versions).toMatch(/Client Version: v1\.32\.3/);
    expect(versions).toMatch(/v3\.17\.2/);
    expect(versions).toContain('no build tools');
  });

  it('is slim: no source maps, type declarations, node headers or packages the bundle already inlines; one layer set well under the old 714 MB', async () => {
    const [image] = JSON.parse(await sh('podman', ['image', 'inspect', tag]));
    const megabytes = Math.round(image.Size / 1024 / 1024);
    console.log(`[container-image] ${tag}: ${megabytes} MB (${image.Architecture})`);
    expect(megabytes).toBeLessThan(520);
    const cli = '/opt/skyflo/lib/node_modules/@skyflo/cli';
    const leftovers = await sh('podman', ['run', '--rm', ...runFlags, '--entrypoint', 'sh', tag, '-c',
      `find /opt/skyflo -name '*.js.map' -o -name '*.d.ts' | head -3; ls -d /usr/local/include/node /usr/share/doc/* 2>/dev/null | head -3; ls -d ${cli}/node_modules/fastify ${cli}/node_modules/@fastify/cookie ${cli}/node_modules/diff 2>/dev/null; echo end`]);
    expect(leftovers.trim()).toBe('end');
  });

  it('skyflo serve: /api/v1/health on a read-only root filesystem, data on a volume, running as uid 10001 under tini', async () => {
    const volume = `skyflo-ci-data-${process.pid}`;
    await sh('podman', ['volume', 'create', volume]);
    volumes.push(volume);
    const port = await freePort();
    const id = await startContainer(['-v', `${volume}:/data`, tag], port, 8080);
    const health = (await waitForJson(`http://127.0.0.1:${port}/api/v1/health`, 90_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await sh('podman', ['logs', id]).catch(() => '')}`);
    })) as { status: string };
    expect(health.status).toBe('ok');
    // the image serves the Command Center
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('<title>Skyflo Command Center</title>');
    expect((await sh('podman', ['exec', id, 'id', '-u'])).trim()).toBe('10001');
    expect((await sh('podman', ['exec', id, 'cat', '/proc/1/comm'])).trim()).toBe('tini');
    // the database and the generated JWT secret went to the volume
    expect(await sh('podman', ['exec', id, 'ls', '/data'])).toMatch(/jwt-secret/);
    // and nothing else is writable
    await expect(sh('podman', ['exec', id, 'touch', '/opt/skyflo/x'])).rejects.toThrow(/Read-only file system/);
    // the HEALTHCHECK command reports the same
    await sh('podman', ['exec', id, 'node', '/opt/skyflo/healthcheck.mjs']);
    // SIGTERM reaches node through tini and it exits cleanly
    await sh('podman', ['stop', '-t', '20', id]);
    const [state] = JSON.parse(await sh('podman', ['inspect', id]));
    expect(state.State.ExitCode).toBe(0);
  });

  it('skyflo mcp runs from the same image by argument', async () => {
    const port = await freePort();
    const id = await startContainer([tag, 'mcp', '--host', '0.0.0.0', '--port', '8888', '--auth-token', 'ci-token', '--kubeconfig', '/dev/null'], port, 8888);
    const health = await waitForJson(`http://127.0.0.1:${port}/health`, 60_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await sh('podman', ['logs', id]).catch(() => '')}`);
    });
    expect(health).toBeTruthy();
    // bound beyond loopback, it refuses callers without the token
    const unauthorized = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
  });
});
