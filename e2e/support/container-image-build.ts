/**
 * Building the container image as CI can (e2e/container-image.test.ts tests it): the base is made locally
 * (deploy/docker/make-local-base.sh: Debian minbase + Node and npm from the npm registry) and kubectl/helm come from
 * the build context (CLUSTER_BINARIES=context, the npm package's binaries), because CI reaches only npm and Debian.
 *
 * Why the extra flags, all about this CI sandbox rather than the image: buildah runs RUN steps with
 * `--isolation chroot` (crun refuses the host's hybrid cgroup layout); and npm traffic goes through a
 * TLS-intercepting proxy whose CA bundle is mounted for the build only (NODE_EXTRA_CA_CERTS).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@skyflo/testkit/tools';

const run = promisify(execFile);
const hostCaBundle = '/etc/ssl/certs/ca-certificates.crt';

/**
 * buildah and podman re-execute themselves from a sealed memfd copy of their own binary (containers/storage's
 * unshare.c, when this sandbox refuses the read-only bind mount it tries first). Sealing waits only briefly for the
 * kernel to let go of the copy's freshly written pages, and on a busy machine it can give up with EBUSY before the
 * step even starts: a failure of the sandbox, not of the image, so that one message is tried again, at most twice.
 */
const sealRace = /sealing memfd copy: Device or resource busy/;
const sealRaceAttempts = 3;

/** Runs a command (argv, no shell) and returns its stdout; a failure carries the tail of both outputs. */
export async function sh(command: string, args: string[], timeoutMs = 120_000, signal?: AbortSignal): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      // SIGINT, not SIGTERM, when stopped: buildah cleans up its working container on an interrupt only
      const { stdout } = await run(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGINT', ...(signal ? { signal } : {}) });
      return stdout;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; message: string };
      const output = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`;
      if (sealRace.test(output) && attempt < sealRaceAttempts) {
        console.warn(`[container-image] ${command} ${args[0]}: the re-exec's memfd seal was refused (EBUSY); attempt ${attempt + 1} of ${sealRaceAttempts}`);
        continue;
      }
      throw new Error(`${command} ${args.join(' ')} failed: ${failed.message}\n${(failed.stdout ?? '').slice(-4000)}\n${(failed.stderr ?? '').slice(-4000)}`);
    }
  }
}

/** The build context: the repository's files (as a clean clone has them) plus kubectl and helm from the npm package. */
export async function makeImageContext(): Promise<string> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-image-context-'));
  const files = (await sh('git', ['-C', repoRoot, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
  for (const file of files) {
    const source = path.join(repoRoot, file);
    if (!existsSync(source)) continue; // deleted but not yet committed
    mkdirSync(path.dirname(path.join(directory, file)), { recursive: true });
    cpSync(source, path.join(directory, file));
  }
  for (const name of ['kubectl', 'helm']) cpSync(path.join(repoRoot, '.tools', 'bin', name), path.join(directory, 'deploy', 'docker', 'bin', name));
  return directory;
}

/**
 * The working containers a build left behind, from its output (buildah's stdout) and `buildah containers --json`: a
 * stage's container is made from an image the build committed (`--> <id>`) or started a stage FROM by its full id,
 * so it is told apart from other builds' containers by that image id. Each one pins its stage's image (hundreds of
 * MB) until it is removed.
 */
export function containersLeftByBuild(buildOutput: string, containers: { id: string; imageid: string; containername: string }[]): { id: string; name: string; image: string }[] {
  const images = [...buildOutput.matchAll(/^(?:--> ([0-9a-f]{11,64})|\[\d+\/\d+\] STEP \d+\/\d+: FROM ([0-9a-f]{64})\b)/gm)].map((match) => (match[1] ?? match[2])!);
  return containers.filter((container) => images.some((image) => container.imageid.startsWith(image))).map((container) => ({ id: container.id, name: container.containername, image: container.imageid }));
}

/**
 * Builds the image from a context made by makeImageContext and tags it; the context is removed afterwards. Aborting
 * the signal stops the step that is running (its process gets SIGINT) and fails the build. Returns the working
 * containers the build left behind (the image test fails on any: each leaks a stage image), removed by then.
 */
export async function buildImageFromContext(context: string, tag: string, signal?: AbortSignal): Promise<{ leftContainers: string[] }> {
  try {
    const base = (await sh(path.join(repoRoot, 'deploy', 'docker', 'make-local-base.sh'), [], 600_000, signal)).trim().split('\n').pop()!;
    // A cache of its own (never the user's ~/.npm: a build step must not be able to touch that), kept between runs.
    const npmCache = path.join(homedir(), '.cache', 'skyflo-image-build-npm');
    mkdirSync(npmCache, { recursive: true });
    const output = await sh(
      'buildah',
      [
        'bud',
        // the Docker format keeps HEALTHCHECK (OCI image configs have no field for it)
        '--format', 'docker',
        '--isolation', 'chroot',
        // A RUN step gets 1,024 open files by default under chroot isolation: `npm ci` from the warm cache below opens
        // more at once and failed with EMFILE (seen on a second run on the CI machine).
        '--ulimit', 'nofile=16384:16384',
        '--build-arg', `BASE=${base}`,
        '--build-arg', 'CLUSTER_BINARIES=context',
        '--build-arg', 'REVISION=ci',
        '--volume', `${npmCache}:/root/.npm`,
        '--build-arg', 'npm_config_prefer_offline=true',
        ...(existsSync(hostCaBundle) ? ['--volume', `${hostCaBundle}:/etc/ssl/certs/build-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-ca.crt'] : []),
        '-t', tag,
        context,
      ],
      1_200_000,
      signal,
    );
    const containers = JSON.parse((await sh('buildah', ['containers', '--json'])).trim() || '[]') as Parameters<typeof containersLeftByBuild>[1] | null;
    const left = containersLeftByBuild(output, containers ?? []);
    for (const container of left) {
      await sh('buildah', ['rm', container.id]);
      // the stage image too, unless something else still uses it (then podman refuses, and it stays)
      await sh('podman', ['rmi', container.image]).catch(() => '');
    }
    return { leftContainers: left.map((container) => container.name) };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
