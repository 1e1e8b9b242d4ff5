#!/bin/bash
# The deferred-checks loop through the CLI (docs/cluster.md, "Deferred
# checks"), on a local cluster (tools/cluster.sh: one nats-server on
# 127.0.0.1, 2 shards x 1 replica): a device checks offline (hotspot check),
# exports its outbox, submits the batch (twice: stored once); the intake
# worker searches it; a fetch with the wrong authority key refuses every
# message; the real fetch shows the verdicts (mates at rank 1, hits) and
# empties the outbox; a second fetch finds nothing; the same batch processed
# again is answered from the seen ids (no new verdict); a batch of an
# unknown device is refused with its reason. Skips (77) when nats-server,
# the cluster commands or libsodium are absent.
set -u
cli=${HS_CLI:?HS_CLI not set}
src=${HS_SOURCE_DIR:?HS_SOURCE_DIR not set}
work=${HS_WORK:-$(mktemp -d)}
command -v nats-server >/dev/null || { echo "SKIP: nats-server is not installed"; exit 77; }
"$cli" cluster --help >/dev/null 2>&1 || { echo "SKIP: hotspot built without libhotspot-cluster"; exit 77; }
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
"$cli" device keygen dev >/dev/null 2>&1 || { echo "SKIP: built without libsodium"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
trap '"$src/tools/cluster.sh" stop "$work/c"' EXIT

"$cli" device keygen stranger >/dev/null || fail "keygen stranger"
"$cli" authority keygen auth >/dev/null || fail "authority keygen"
"$cli" authority keygen forger >/dev/null || fail "authority keygen forger"
mkdir devices && cp dev.sign.pub devices/dev.pub   # the stranger is not registered

"$cli" synth --out fingers --fingers 8 --impressions 2 --seed 19 >/dev/null || fail synth
timeout 90 "$src/tools/cluster.sh" start "$work/c" --servers 1 --stream-replicas 1 --shards 2 \
  --replicas 1 --cli "$cli" || fail "cluster start"
. "$work/c/env"
N=(--nats "$NATS_URLS")
"$cli" cluster intake "${N[@]}" --devices devices --seen s >/dev/null 2>&1
[ $? -eq 2 ] || fail "intake without --authority should exit 2"
"$cli" cluster fetch "${N[@]}" --device dev >/dev/null 2>&1
[ $? -eq 2 ] || fail "fetch without --outbox should exit 2"

# the central gallery: fingers 101..105; the device's own list is empty
for f in 101 102 103 104 105; do
  "$cli" cluster enrol "${N[@]}" --id "G$f" --finger "2:fingers/${f}_1.png" >/dev/null \
    || fail "enrol G$f"
done
"$cli" watchlist create offline.hswl >/dev/null || fail "offline list"
mkdir box
for f in 101_2 103_2 108_1; do
  "$cli" check offline.hswl --outbox box --authority auth.pub --device dev \
    --finger "2:fingers/$f.png" >/dev/null || fail "check $f"
done
"$cli" outbox export box --out b1 --device dev >/dev/null || fail export
out=$("$cli" cluster submit "${N[@]}" b1) || fail "submit: $out"
case $out in "submitted 3 encounters of device "*": 1 messages (0 held already)"*) ;; *) fail "submit: $out" ;; esac
out=$("$cli" cluster submit "${N[@]}" b1) || fail "submit again: $out"
case $out in *"(1 held already)"*) ;; *) fail "a re-sent batch should be held once: $out" ;; esac

out=$(timeout 60 "$cli" cluster intake "${N[@]}" --authority auth.sec --devices devices --seen seen.ids \
  --until-idle 1500 2>/dev/null) || fail "intake: $out"
echo "$out" | grep -q "3 encounters: 3 searched, 0 stored, 0 replayed, 0 refused, 0 incomplete; 1 acks" \
  || fail "intake should search 3 (the duplicate not at all): $out"
[ "$(echo "$out" | grep -c '^intake .* encounters:')" -eq 1 ] || fail "one batch expected: $out"

# forged: every message fails against another authority's key; nothing applied
"$cli" cluster fetch "${N[@]}" --device dev --outbox box --authority forger.pub --json \
  > forged.json 2>/dev/null
[ $? -eq 1 ] || fail "a fetch with the wrong key should exit 1"
python3 -c '
import json; f = json.load(open("forged.json"))
assert f["verdicts"] == [] and len(f["refused"]) == 4 and f["outbox_left"] == 3, f' \
  || fail "forged fetch: $(cat forged.json)"

"$cli" cluster fetch "${N[@]}" --device dev --outbox box --authority auth.pub --json > f.json \
  || fail "fetch: $(cat f.json)"
python3 - <<'PY' || fail "fetch content: $(cat f.json)"
import json
f = json.load(open("f.json"))
v = f["verdicts"]
assert len(v) == 3 and all(x["state"] == "complete" for x in v), v
assert v[0]["candidates"][0]["id"] == "G101" and v[0]["candidates"][0]["hit"], v[0]
assert v[1]["candidates"][0]["id"] == "G103" and v[1]["candidates"][0]["hit"], v[1]
assert v[2]["decision"] == "no_hit", v[2]
assert f["acknowledged"] == 3 and f["outbox_left"] == 0 and f["refused"] == [], f
PY
"$cli" outbox list box | grep -q "^0 encounters" || fail "the outbox should be empty"
out=$("$cli" cluster fetch "${N[@]}" --device dev --outbox box --authority auth.pub) || fail "fetch 2"
case $out in "0 verdicts, 0 acknowledgements"*) ;; *) fail "a confirmed fetch should not come back: $out" ;; esac

# the same batch submitted after the window's copy was consumed: replayed,
# acknowledged again, no new search and no new verdict
"$src/tools/cluster.sh" stop "$work/c" >/dev/null 2>&1
timeout 90 "$src/tools/cluster.sh" start "$work/c2" --servers 1 --stream-replicas 1 --shards 2 \
  --replicas 1 --cli "$cli" || fail "cluster 2 start"
trap '"$src/tools/cluster.sh" stop "$work/c2"' EXIT
. "$work/c2/env"
N=(--nats "$NATS_URLS")
"$cli" cluster submit "${N[@]}" b1 >/dev/null || fail "resubmit"
out=$(timeout 60 "$cli" cluster intake "${N[@]}" --authority auth.sec --devices devices --seen seen.ids \
  --until-idle 1500 2>/dev/null) || fail "intake 2: $out"
echo "$out" | grep -q "3 encounters: 0 searched, 0 stored, 3 replayed" || fail "replay: $out"

# an unknown device: refused, with its reason, and told so
mkdir box2
"$cli" check offline.hswl --outbox box2 --authority auth.pub --device stranger \
  --finger 2:fingers/102_2.png >/dev/null || fail "stranger check"
"$cli" outbox export box2 --out b2 --device stranger >/dev/null || fail "stranger export"
"$cli" cluster submit "${N[@]}" b2 >/dev/null || fail "stranger submit"
out=$(timeout 60 "$cli" cluster intake "${N[@]}" --authority auth.sec --devices devices --seen seen.ids \
  --until-idle 1500 2>/dev/null) || fail "intake 3: $out"
echo "$out" | grep -q "refused .*unknown device" || fail "unknown device not refused: $out"
"$cli" cluster fetch "${N[@]}" --device stranger --outbox box2 --authority auth.pub --json > s.json \
  || fail "stranger fetch: $(cat s.json)"
python3 -c '
import json; f = json.load(open("s.json")); v = f["verdicts"]
assert len(v) == 1 and v[0]["state"] == "refused" and "unknown device" in v[0]["reason"], f
assert f["acks"] == 0 and f["outbox_left"] == 1, f' || fail "stranger verdict: $(cat s.json)"
echo "intake CLI ok"
