#!/usr/bin/env bash
# Sealed encounters end to end with the CLI: authority keys, two devices
# sealing encounters (synthetic fingers, a face), a batch, the central open
# with a device registry and a seen-ids file, acknowledgements per device,
# and the refusals (unknown device, revoked device, replay, damage).
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
cd "$work" || exit 1
rm -rf enc && mkdir enc && cd enc || exit 1
fails=0
check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}
has() { # has NAME FILE PATTERN
    if grep -q -- "$3" "$2"; then echo "ok: $1"; else echo "FAIL: $1 ('$3' not in $2)"; cat "$2"; fails=$((fails + 1)); fi
}

"$cli" synth --out synth --fingers 2 --impressions 1 --seed 5 >/dev/null; check "synth fingers" 0 $?
f1=$(ls synth/*.png | head -1); f2=$(ls synth/*.png | sed -n 2p)
"$cli" image convert "$f1" face.jpg >/dev/null; check "a face-sized image" 0 $?

"$cli" authority keygen auth >out 2>&1; check "authority keygen" 0 $?
[ "$(stat -c %a auth.sec)" = 600 ] && echo "ok: auth.sec is 0600" || { echo "FAIL: auth.sec mode"; fails=$((fails + 1)); }
[ "$(stat -c %s auth.pub)" = 72 ] && echo "ok: auth.pub is 72 bytes" || { echo "FAIL: auth.pub size"; fails=$((fails + 1)); }
"$cli" authority keygen auth >out 2>&1; check "authority keygen refuses to overwrite" 1 $?
has "overwrite named" out "exists"

# device signing keys (PREFIX.sign.pub, PREFIX.sign.sec); the registry
# names each device after its .pub file
mkdir devices
for d in dev1 dev2 lost rogue; do
    "$cli" device keygen "$d" >/dev/null || { echo "FAIL: keygen $d"; fails=$((fails + 1)); }
done
for d in dev1 dev2 lost; do cp "$d.sign.pub" "devices/$d.pub"; done
printf '# lost on 2026-11-30\nlost\n' > devices/revoked

make() { # make NAME DEVICE [extra...]
    local n=$1 d=$2; shift 2
    "$cli" encounter make --authority auth.pub --device-key "$d.sign.sec" --out "$n.hse" \
        --finger "2:$f1" --finger "7:$f2" --face face.jpg --operator officer-7 --location CP-3 \
        --field lane=2 --watchlist-version 42 --candidate S-0001:3.5 --decision no_hit \
        --shown "no match" "$@" >"$n.out" 2>&1
}
make a dev1; check "make a (dev1)" 0 $?
make b dev1 --tot NPS; check "make b (dev1, NPS)" 0 $?
make c dev2 --candidate S-0009:9.0:hit --decision hit --shown "HIT: call the desk"; check "make c (dev2)" 0 $?
make d lost; check "make d (revoked device)" 0 $?
make e rogue; check "make e (unknown device)" 0 $?
[ "$(stat -c %a a.hse)" = 600 ] && echo "ok: sealed file is 0600" || { echo "FAIL: sealed mode"; fails=$((fails + 1)); }
if grep -q "S-0001\|officer-7" a.hse; then echo "FAIL: plaintext in the sealed record"; fails=$((fails + 1)); else echo "ok: no plaintext in the sealed record"; fi

"$cli" encounter show a.hse >out 2>&1; check "show a sealed record" 0 $?
has "show prints the decision" out "no_hit"
has "show prints the shown text" out "no match"
"$cli" encounter show --json c.hse >out 2>&1; check "show --json" 0 $?
has "show --json shown" out '"shown":"HIT: call the desk"'

"$cli" encounter batch --out day1.batch a.hse b.hse c.hse d.hse e.hse >out 2>&1; check "batch" 0 $?
"$cli" encounter show day1.batch >out 2>&1; check "show a batch" 0 $?
[ "$(grep -c 'device' out)" = 5 ] && echo "ok: five receipts" || { echo "FAIL: receipts"; cat out; fails=$((fails + 1)); }

"$cli" encounter open day1.batch --authority auth.sec --devices devices --out opened \
    --receipt day1.ack --seen seen.ids >out 2>&1; check "open with refusals exits 1" 1 $?
has "three opened" out "3 opened, 2 refused"
has "revoked named" out "lost is revoked"
has "unknown named" out "unknown device"
[ "$(ls opened/*.an2 | wc -l)" = 3 ] && echo "ok: three transactions" || { echo "FAIL: .an2 count"; fails=$((fails + 1)); }
[ "$(ls opened/*.json | wc -l)" = 3 ] && echo "ok: three results" || { echo "FAIL: .json count"; fails=$((fails + 1)); }
an2=$(ls opened/*.an2 | head -1)
"$cli" nist validate --profile int-i "$an2" >vout 2>&1; rc=$?
[ $rc -le 1 ] && echo "ok: nist validate runs on the opened transaction (exit $rc)" || { echo "FAIL: nist validate exit $rc"; cat vout; fails=$((fails + 1)); }
"$cli" nist info "$an2" >vout 2>&1; check "nist info reads the transaction" 0 $?
grep -l '"subject":"S-0009"' opened/*.json >/dev/null && echo "ok: offline result kept" || { echo "FAIL: offline result"; fails=$((fails + 1)); }
[ -f day1.ack.dev1 ] && [ -f day1.ack.dev2 ] && echo "ok: one ack per device" || { echo "FAIL: ack files"; ls; fails=$((fails + 1)); }

"$cli" encounter ack-verify day1.ack.dev1 --authority auth.pub --device dev1.sign.pub >out 2>&1; check "ack for dev1 verifies" 0 $?
has "dev1 ack names two encounters" out "2 encounters"
"$cli" encounter ack-verify day1.ack.dev1 --authority auth.pub --device dev2.sign.pub >out 2>&1; check "ack for another device refused" 1 $?
has "another device" out "another device"
"$cli" authority keygen other >/dev/null
"$cli" encounter ack-verify day1.ack.dev1 --authority other.pub --device dev1.sign.pub >out 2>&1; check "ack from another authority refused" 1 $?
has "signature named" out "signature"

# replay: the same batch again; replays are acknowledged again, not reopened
rm -rf opened2
"$cli" encounter open day1.batch --authority auth.sec --devices devices --out opened2 \
    --receipt again.ack --seen seen.ids >out 2>&1; check "replayed batch exits 1" 1 $?
has "replays refused" out "0 opened, 5 refused"
has "replay named" out "replay"
[ -f again.ack.dev1 ] && echo "ok: a lost ack can be had again" || { echo "FAIL: no ack for the replays"; fails=$((fails + 1)); }

# a batch from one device: one ack file named as given
"$cli" encounter make --authority auth.pub --device-key dev1.sign.sec --out f.hse --finger "3:$f1" >/dev/null 2>&1
"$cli" encounter batch --out one.batch f.hse >/dev/null 2>&1
"$cli" encounter open one.batch --authority auth.sec --devices devices --out opened3 \
    --receipt one.ack --seen seen.ids >out 2>&1; check "clean batch exits 0" 0 $?
[ -f one.ack ] && echo "ok: single-device ack is RECEIPT" || { echo "FAIL: one.ack"; fails=$((fails + 1)); }

# damage: a flipped byte in the batch, a truncated batch
cp one.batch bad.batch
printf '\x55' | dd of=bad.batch bs=1 seek=200 conv=notrunc 2>/dev/null
"$cli" encounter open bad.batch --authority auth.sec --devices devices --out opened4 \
    --receipt bad.ack >out 2>&1; check "damaged batch exits 1" 1 $?
has "damage names the record" out "record 0"
head -c 300 one.batch > short.batch
"$cli" encounter open short.batch --authority auth.sec --devices devices --out opened5 \
    --receipt short.ack >out 2>&1; check "truncated batch exits 1" 1 $?
has "truncation names the record" out "record 0 of 1"
"$cli" encounter open one.batch --authority auth.sec --devices devices >out 2>&1; check "missing options exit 2" 2 $?
"$cli" encounter bogus >/dev/null 2>&1; check "unknown encounter command exits 2" 2 $?

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all encounter CLI checks passed"
