#!/usr/bin/env bash
# Start or stop a local hotspot cluster for tests, demos and benchmarks:
# nats-servers with JetStream on 127.0.0.1 only (free ports, store dirs under
# the given directory) and `hotspot shard` replicas.
#
#   tools/cluster.sh start DIR [--servers S] [--shards N] [--replicas R]
#                              [--stream-replicas K] [--threads T] [--cli PATH]
#                              [--cluster NAME]
#   tools/cluster.sh stop DIR
#   tools/cluster.sh run DIR [start options] -- COMMAND...   (start, run, stop)
#
# start writes DIR/env (NATS_URLS, CLUSTER, SHARDS) and DIR/pids; stop ends
# exactly the processes listed there. Every wait is bounded.
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

stop() {
  local dir=$1
  [ -f "$dir/pids" ] || return 0
  # shards first (they save on SIGTERM), then the servers
  local pid
  for pid in $(grep '^shard ' "$dir/pids" | awk '{print $2}'); do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in $(grep '^shard ' "$dir/pids" | awk '{print $2}'); do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in $(awk '{print $2}' "$dir/pids"); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in $(awk '{print $2}' "$dir/pids"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

start() {
  local dir=$1; shift
  local servers=3 shards=3 replicas=2 sreps=3 threads=1 name=hotspot
  local cli=${HS_CLI:-$(dirname "$0")/../build/hotspot}
  while [ $# -gt 0 ]; do
    case $1 in
      --servers) servers=$2; shift 2;;
      --shards) shards=$2; shift 2;;
      --replicas) replicas=$2; shift 2;;
      --stream-replicas) sreps=$2; shift 2;;
      --threads) threads=$2; shift 2;;
      --cli) cli=$2; shift 2;;
      --cluster) name=$2; shift 2;;
      *) die "unknown option $1";;
    esac
  done
  command -v nats-server >/dev/null || die "nats-server not installed (tools/setup.sh)"
  [ -x "$cli" ] || die "hotspot CLI not found at $cli (--cli PATH)"
  [ "$sreps" -le "$servers" ] || sreps=$servers
  mkdir -p "$dir"
  : > "$dir/pids"
  local i ports=() cports=() routes="" urls=""
  for i in $(seq 1 "$servers"); do ports+=("$(free_port)"); cports+=("$(free_port)"); done
  for i in $(seq 1 "$servers"); do
    routes+="nats-route://127.0.0.1:${cports[$((i-1))]},"
    urls+="nats://127.0.0.1:${ports[$((i-1))]},"
  done
  routes=${routes%,}; urls=${urls%,}
  for i in $(seq 1 "$servers"); do
    mkdir -p "$dir/n$i"
    {
      echo "server_name: n$i"
      echo "listen: 127.0.0.1:${ports[$((i-1))]}"
      echo "jetstream { store_dir: \"$dir/n$i\", max_memory_store: 64MB, max_file_store: 8GB }"
      if [ "$servers" -gt 1 ]; then
        echo "cluster { name: hs, listen: 127.0.0.1:${cports[$((i-1))]},"
        echo "  routes: [ $(echo "$routes" | sed 's/,/, /g') ] }"
      fi
    } > "$dir/n$i.conf"
    nats-server -c "$dir/n$i.conf" > "$dir/n$i.log" 2>&1 &
    echo "server $! n$i ${ports[$((i-1))]}" >> "$dir/pids"
  done
  {
    echo "NATS_URLS=$urls"
    echo "CLUSTER=$name"
    echo "SHARDS=$shards"
  } > "$dir/env"
  # JetStream is ready when the stream can be created (meta leader elected)
  local ok=0
  for _ in $(seq 1 150); do
    if "$cli" cluster init --nats "$urls" --cluster "$name" --shards "$shards" \
         --replicas "$sreps" > "$dir/init.log" 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  [ $ok = 1 ] || { cat "$dir/init.log" >&2; stop "$dir"; die "JetStream did not come up in 30 s"; }
  local s r
  for s in $(seq 1 "$shards"); do
    for r in $(seq 1 "$replicas"); do
      "$cli" shard --nats "$urls" --cluster "$name" --shard "$s/$shards" \
        --data "$dir/data-s$s-r$r" --replica "s${s}r$r" --threads "$threads" \
        > "$dir/shard-s$s-r$r.log" 2>&1 &
      echo "shard $! s${s}r$r $s" >> "$dir/pids"
    done
  done
  # ready when every replica answers status
  local want=$((shards * replicas)) got=0
  for _ in $(seq 1 150); do
    got=$("$cli" cluster status --nats "$urls" --cluster "$name" --json --wait-ms 200 2>/dev/null \
          | grep -c '"replica"' || true)
    [ "$got" -ge "$want" ] && break
    sleep 0.2
  done
  [ "$got" -ge "$want" ] || { stop "$dir"; die "only $got of $want shard replicas came up"; }
  echo "cluster $name: $servers servers ($urls), $shards shards x $replicas replicas"
}

cmd=${1:-}; shift || true
case $cmd in
  start) [ $# -ge 1 ] || die "start DIR"; start "$@";;
  stop) [ $# -ge 1 ] || die "stop DIR"; stop "$1";;
  run)
    [ $# -ge 1 ] || die "run DIR [options] -- COMMAND"
    dir=$1; shift
    opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    trap 'stop "$dir"' EXIT INT TERM
    start "$dir" "${opts[@]}"
    set -a; . "$dir/env"; set +a
    "$@"
    ;;
  *) die "usage: cluster.sh start|stop|run DIR ...";;
esac
