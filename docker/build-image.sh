#!/usr/bin/env bash
# Builds the agent image (docker/Dockerfile) from the already-built workspace.
#
# usage: docker/build-image.sh [--base IMAGE] [--tag TAG]
#   --base  defaults to splitedge/node-base:24 (built by docker/base-image.sh when missing);
#           pass --base node:24-slim where a registry is reachable.
#   --tag   defaults to splitedge/agent:dev
# Needs `npm ci` and `npm run build` first. The context is staged in a temporary directory
# (see the Dockerfile's header for why): the production dependency closure comes from
# `npm ls --omit=dev --all --parseable`, so dev tools (typescript, lerna, mocha, the node
# package's own binary) stay out of the image.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

base="splitedge/node-base:24"
tag="splitedge/agent:dev"
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift ;;
    --tag) tag="$2"; shift ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

[ -f packages/cli/dist/src/bin.js ] || { echo "build-image.sh: build the workspace first (npm run build)" >&2; exit 1; }
if [ "$base" = "splitedge/node-base:24" ]; then docker/base-image.sh; fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
app="$ctx/app"
mkdir -p "$app/docker" "$ctx/docker"

cp package.json "$app/"
for pkg in packages/*/; do
  pkg="${pkg%/}"
  mkdir -p "$app/$pkg/dist"
  cp "$pkg/package.json" "$app/$pkg/"
  [ -d "$pkg/dist/src" ] && cp -a "$pkg/dist/src" "$app/$pkg/dist/"
  [ -d "$pkg/bin" ] && cp -a "$pkg/bin" "$app/$pkg/"
  [ -d "$pkg/ui" ] && cp -a "$pkg/ui" "$app/$pkg/"
done

# Production dependency closure. Nested node_modules come with their parent directory; the
# workspace links (node_modules/@splitedge/*) are relative symlinks and stay valid in /app.
npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$repo/node_modules/|node_modules/|p" \
  | grep -v '/node_modules/.*/node_modules/' | grep -v '^node_modules/@splitedge/integration-tests$' \
  | sort -u | while read -r dep; do
      mkdir -p "$app/$(dirname "$dep")"
      cp -a "$dep" "$app/$dep"
    done
# Top-level entries that are nested under another listed package were copied with it; the
# ones npm printed as nested of a top-level package (a/node_modules/b) too. Verify the roots.
[ -e "$app/node_modules/@splitedge/cli" ] || { echo "build-image.sh: workspace links missing from the closure" >&2; exit 1; }

cp docker/healthcheck.mjs docker/probe.mjs docker/intruder.mjs "$app/docker/"
cp docker/image-prep.mjs "$ctx/docker/"
cp docker/Dockerfile "$ctx/Dockerfile"
cp docker/.dockerignore "$ctx/.dockerignore"

DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base" -t "$tag" "$ctx" >/dev/null
# Earlier builds of the tag are left untagged; drop them so repeated test runs do not pile up.
docker image prune -f --filter label=org.splitedge.image=agent >/dev/null
echo "build-image.sh: built $tag on $base"
