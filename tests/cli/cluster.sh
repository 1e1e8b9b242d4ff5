#!/bin/bash
# hotspot cluster / hotspot shard on a local cluster (tools/cluster.sh: one
# nats-server on 127.0.0.1, 2 shards x 1 replica): enrol, search --json
# against `hotspot watchlist search --json` of the same subjects, remove,
# status, load, and a missing shard named with exit 1. Skips (77) when
# nats-server or the cluster commands are absent.
set -u
cli=${HS_CLI:?HS_CLI not set}
src=${HS_SOURCE_DIR:?HS_SOURCE_DIR not set}
work=${HS_WORK:-$(mktemp -d)}
command -v nats-server >/dev/null || { echo "SKIP: nats-server is not installed"; exit 77; }
"$cli" cluster --help >/dev/null 2>&1 || { echo "SKIP: hotspot built without libhotspot-cluster"; exit 77; }
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
xpid=
trap '[ -n "$xpid" ] && kill -KILL "$xpid" 2>/dev/null; "$src/tools/cluster.sh" stop "$work/c"' EXIT

"$cli" cluster >/dev/null 2>&1; [ $? -eq 2 ] || fail "no subcommand should exit 2"
"$cli" cluster status --nats nats://10.9.9.9:4222 2>&1 | grep -q "TLS" \
  || fail "a plain-text server beyond loopback should be refused"
"$cli" shard --shard 3/2 --data d >/dev/null 2>&1; [ $? -eq 2 ] || fail "--shard 3/2 should exit 2"

"$cli" synth --out syn --fingers 6 --impressions 2 --seed 7 >/dev/null || fail "synth"
timeout 90 "$src/tools/cluster.sh" start "$work/c" --servers 1 --stream-replicas 1 --shards 2 \
  --replicas 1 --cli "$cli" || fail "cluster start"
. "$work/c/env"
N=(--nats "$NATS_URLS")
# each command is a client of its own: a search passes --after the sequence
# of the write it must see (read-your-writes holds within one client)
seq_of() { sed -n 's/.*sequence \([0-9][0-9]*\).*/\1/p' | tail -1; }
"$cli" watchlist create l.hswl >/dev/null || fail "create"
for f in 101 102 103 104 105 106; do
  out=$("$cli" cluster enrol "${N[@]}" --id "F$f" --field category=red --finger "syn/${f}_1.png") \
    || fail "enrol F$f"
  case $out in *"sequence "[0-9]*) ;; *) fail "enrol output: $out" ;; esac
  last=$(echo "$out" | seq_of)
  "$cli" watchlist add l.hswl --id "F$f" --field category=red --finger "syn/${f}_1.png" >/dev/null \
    || fail "add F$f"
done
"$cli" cluster search "${N[@]}" --after "$last" --finger syn/103_2.png --json > c.json \
  || fail "cluster search"
"$cli" watchlist search l.hswl --finger syn/103_2.png --json > w.json || fail "watchlist search"
python3 - <<'PY' || fail "cluster and watchlist answers differ"
import json
c = json.load(open("c.json")); w = json.load(open("w.json"))
strip = lambda r: [{k: v for k, v in x.items()} for x in r["candidates"]]
assert strip(c) == strip(w), (strip(c), strip(w))
assert c["candidates"][0]["id"] == "F103" and c["candidates"][0]["hit"]
assert c["complete"] and not c["shards_missing"] and len(c["shards_answered"]) == 2
assert c["subjects"] == 6
PY
out=$("$cli" cluster remove "${N[@]}" F103) || fail "remove"
case $out in "removed F103: sequence "*) ;; *) fail "remove output: $out" ;; esac
last=$(echo "$out" | seq_of)
"$cli" cluster search "${N[@]}" --after "$last" --finger syn/103_2.png --json | grep -q '"F103"' \
  && fail "a removed subject was found after its removal"
"$cli" cluster status "${N[@]}" --json > s.json || fail "status"
python3 -c 'import json; s = json.load(open("s.json")); assert s["shards"] == 2 and len(s["replicas"]) == 2 and sum(r["subjects"] for r in s["replicas"]) == 5 and all(r["duplicates"] == 0 and isinstance(r["leader_reads"], int) for r in s["replicas"])' \
  || fail "status content: $(cat s.json)"
"$cli" watchlist create b.hswl >/dev/null && "$cli" watchlist add b.hswl --id B1 --finger syn/103_1.png >/dev/null \
  || fail "bulk list"
out=$("$cli" cluster load "${N[@]}" b.hswl) || fail "load"
case $out in "loaded 1 subjects"*) ;; *) fail "load output: $out" ;; esac
last=$(echo "$out" | seq_of)
"$cli" cluster search "${N[@]}" --after "$last" --finger syn/103_2.png --top 1 | grep -q "^   1  B1 " \
  || fail "loaded subject not found"
# a shard without replica: named, exit 1
kill -TERM "$(awk '$1 == "shard" && $4 == 1 {print $2}' "$work/c/pids")"
sleep 0.5
"$cli" cluster search "${N[@]}" --finger syn/103_2.png --deadline-ms 500 --json > m.json 2> m.err
[ $? -eq 1 ] || fail "a missing shard should exit 1"
grep -q '"shards_missing": \[{"shard": 1, "state": "no answer"}\], "complete": false' m.json \
  || fail "missing shard not named: $(cat m.json)"
grep -q "shard 1/2: no answer" m.err || fail "stderr: $(cat m.err)"
# a replica without --replica: named from its host and data directory
# ("r" + 16 hex digits); its partition cannot be saved at SIGTERM (a
# directory stands in the way): said, and exit 1
"$cli" shard "${N[@]}" --shard 2/2 --data x2 --save-interval-ms 100 2> x2.err &
xpid=$!
ok=0
for _ in $(seq 1 100); do
  "$cli" cluster status "${N[@]}" --json > x.json 2>/dev/null  # exit 1: shard 1 has no replica
  python3 -c '
import json, re, sys
s = json.load(open("x.json"))
r = [x for x in s["replicas"] if re.fullmatch("r[0-9a-f]{16}", x["replica"])]
o = [x for x in s["replicas"] if x["replica"] == "s2r1"]
sys.exit(0 if r and o and r[0]["shard"] == 2 and r[0]["sequence"] == o[0]["sequence"] else 1)' && { ok=1; break; }
  sleep 0.2
done
[ $ok = 1 ] || fail "replica without a name: $(cat x.json; cat x2.err)"
sleep 0.5
rm -f x2/shard-2-of-2.hswl && mkdir x2/shard-2-of-2.hswl && : > x2/shard-2-of-2.hswl/in-the-way \
  || fail "could not put a directory where the partition goes"
kill -TERM "$xpid"; wait "$xpid"; rc=$?; xpid=
[ $rc -eq 1 ] || fail "a failed save at SIGTERM should exit 1, not $rc: $(cat x2.err)"
grep -q "saving the partition" x2.err || fail "failed save not said: $(cat x2.err)"
echo "cluster CLI ok"
