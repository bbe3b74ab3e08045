#!/usr/bin/env bash
# Builds the local base image splitedge/node-base:24 from the Node runtime the project already
# installs (node_modules/node), because no container registry can be reached here. The image holds
# the node binary, the shared libraries ldd finds for it, and the few /etc files a libc program
# expects. It has no shell: Dockerfiles on it use exec-form RUN with node.
#
# usage: docker/base-image.sh [--force] [--tag TAG] [--node PATH]
# Idempotent: an existing image built from the same node binary (by sha256) is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="splitedge/node-base:24"
node_bin="node_modules/node/bin/node"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --tag) tag="$2"; shift ;;
    --node) node_bin="$2"; shift ;;
    *) echo "base-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

node_bin="$(readlink -f "$node_bin")"
[ -x "$node_bin" ] || { echo "base-image.sh: no node binary at $node_bin (run npm ci first)" >&2; exit 1; }
version="$("$node_bin" --version)"
case "$version" in v24.*) ;; *) echo "base-image.sh: $node_bin is $version, expected v24" >&2; exit 1 ;; esac
sum="$(sha256sum "$node_bin" | cut -d' ' -f1)"

if [ "$force" = 0 ] && [ "$(docker image inspect -f '{{ index .Config.Labels "org.splitedge.node-sha256" }}' "$tag" 2>/dev/null || true)" = "$sum" ] \
  && [ "$(docker run --rm --network none "$tag" node --version 2>/dev/null || true)" = "$version" ]; then
  echo "base-image.sh: $tag already built from this node ($version)"
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

# The binary, then every library the dynamic loader would map for it, at the same paths (copying
# both the name ldd prints and the file it resolves to, so sonames keep working).
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
copy_lib() {
  local p="$1"
  [ -e "$p" ] || return 0
  mkdir -p "$root$(dirname "$p")"
  cp -L "$p" "$root$p"
}
for lib in $(ldd "$node_bin" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }'); do
  copy_lib "$lib"
done

# Minimal /etc: users (root, and node:1000 as in the official image), name service, a tmp dir.
mkdir -p "$root/etc" "$root/tmp" "$root/root"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/home/node:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
mkdir -p "$root/home/node" && chown 1000:1000 "$root/home/node"

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_VERSION=${version#v}" \
  --change "LABEL org.splitedge.node-sha256=$sum" \
  --change "LABEL org.splitedge.node-version=$version" \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "base-image.sh: built $tag from $node_bin ($version)"
