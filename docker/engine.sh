#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the docker integration tests.
#
# usage: docker/engine.sh [--install]      (CI=true implies --install)
#   An engine that already answers is used as it is (exit 0).
#   Without --install and CI=true it only reports (exit 1 when there is no engine).
#   With them it installs Debian's docker.io when dockerd is missing, starts
#   `dockerd --iptables=false --ip-forward=false` in the background and waits for it.
# Idempotent: run it as often as you like.
#
# Why those flags: this machine has no iptables support for Docker, and without iptables
# nothing isolates one bridge network from another; with forwarding off, the host does not
# route between border networks (so an agent reaches only the neighbours it shares a network
# with) nor out of the machine.
set -euo pipefail

install=0
[ "${CI:-}" = "true" ] && install=1
for a in "$@"; do
  case "$a" in
    --install) install=1 ;;
    *) echo "engine.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log="${SPLITEDGE_DOCKERD_LOG:-/var/log/splitedge-dockerd.log}"
answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

if answers; then
  echo "engine.sh: docker engine ready ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi
if [ "$install" = 0 ]; then
  echo "engine.sh: no docker engine answers (run docker/engine.sh --install as root to set one up)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "engine.sh: installing and starting dockerd needs root" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "engine.sh: installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

# Start dockerd unless one is already running (it may just be slow to answer).
pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  sysctl -qw net.ipv4.ip_forward=0 2>/dev/null || echo "engine.sh: could not turn IPv4 forwarding off" >&2
  mkdir -p "$(dirname "$log")"
  echo "engine.sh: starting dockerd (log: $log)"
  setsid nohup dockerd --iptables=false --ip-forward=false >>"$log" 2>&1 < /dev/null &
fi

for _ in $(seq 1 60); do
  if answers; then
    echo "engine.sh: docker engine ready ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  sleep 1
done
echo "engine.sh: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
