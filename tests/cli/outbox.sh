#!/bin/bash
# hotspot check and hotspot outbox: an encrypted installed list, checks with
# a hit and without, list, verify, export, the centre's open and
# acknowledgement, replayed ack, ack from the wrong authority and for another
# device, purge, the audit log, a flipped byte and a cut tail.
set -u
cli=${HS_CLI:?HS_CLI not set}
work=${HS_WORK:-$(mktemp -d)}
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
flip() { # FILE OFFSET: flip the lowest bit of one byte
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

if ! "$cli" device keygen dev >/dev/null 2>&1; then
    echo "SKIP: built without libsodium (no device keys)"
    exit 77
fi
"$cli" check >/dev/null 2>&1; [ $? -eq 2 ] || fail "check without arguments should exit 2"
"$cli" outbox >/dev/null 2>&1; [ $? -eq 2 ] || fail "outbox without a command should exit 2"
"$cli" outbox frob box >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown outbox command should exit 2"
"$cli" outbox export box --out b >/dev/null 2>&1; [ $? -eq 2 ] || fail "export without --device should exit 2"
"$cli" outbox list nowhere >/dev/null 2>&1; [ $? -eq 1 ] || fail "list of no outbox should exit 1"

"$cli" device keygen dev2 >/dev/null || fail "device keygen dev2"
"$cli" authority keygen auth >/dev/null || fail "authority keygen"
"$cli" authority keygen auth2 >/dev/null || fail "authority keygen auth2"
mkdir -p devices && cp dev.sign.pub devices/dev.pub && cp dev2.sign.pub devices/dev2.pub

# the authority's list: six synthetic fingers, installed encrypted on the device
"$cli" synth --out fingers --fingers 8 --impressions 2 --seed 18 >/dev/null || fail synth
"$cli" watchlist create a.hswl --version 3 >/dev/null || fail create
for i in 1 2 3 4 5 6; do
    "$cli" watchlist add a.hswl --id "S-$i" --finger "2:fingers/10${i}_1.png" >/dev/null \
        || fail "add S-$i"
done
"$cli" watchlist keygen --authority pkgauth >/dev/null || fail "package keys"
"$cli" watchlist keygen --device pkgdev >/dev/null || fail "package device keys"
"$cli" watchlist pack a.hswl --key pkgauth.sec --to pkgdev.pub --out l.pkg >/dev/null || fail pack
"$cli" watchlist unpack l.pkg --authority pkgauth.pub --device pkgdev --storage-key dev.storage.key \
    --out installed.hswl >/dev/null || fail "install encrypted"
mkdir box
common=(--outbox box --authority auth.pub --device dev --storage-key dev.storage.key --operator officer-7)

# a hit (the second impression of S-1) and no hit (a finger not listed)
out=$("$cli" check installed.hswl "${common[@]}" --finger 2:fingers/101_2.png --field lane=3 --json) \
    || fail "check 1: $out"
case $out in *'"decision": "HIT"'*'"id": "S-1"'*) ;; *) fail "check 1 should hit S-1: $out" ;; esac
id1=$(echo "$out" | sed -n 's/.*"encounter": "\([0-9a-f]*\)".*/\1/p')
[ ${#id1} -eq 32 ] || fail "encounter id '$id1'"
out=$("$cli" check installed.hswl "${common[@]}" --finger 2:fingers/108_1.png) || fail "check 2: $out"
case $out in "no hit"*"queued: 2 in the outbox"*) ;; *) fail "check 2: $out" ;; esac
"$cli" check installed.hswl --outbox box --authority auth.pub --device dev \
    --finger 2:fingers/108_1.png >/dev/null 2>&1
[ $? -eq 1 ] || fail "an encrypted list without its key should fail"

out=$("$cli" outbox list box) || fail "list"
case $out in "2 encounters (2 queued, 0 exported)"*) ;; *) fail "list: $out" ;; esac
echo "$out" | grep -q "^$id1  queued .* HIT .*HIT: 1 of" || fail "list line of $id1: $out"
echo "$out" | grep -q "S-1" && fail "the receipt shows a subject id: $out"
"$cli" outbox list box --json | grep -q '"count": 2, "queued": 2' || fail "list --json"
"$cli" outbox verify box | grep -q "^ok: 2 records, 2 encounters" || fail "verify"

# export, open at the centre, acknowledge
"$cli" outbox export box --out b1.batch --device dev | grep -q "exported 2 encounters" || fail export
"$cli" outbox export box --out b2.batch --device dev --new-only | grep -q "nothing to export" \
    || fail "export --new-only"
"$cli" outbox list box | grep -q "(0 queued, 2 exported)" || fail "states after export"
"$cli" encounter open b1.batch --authority auth.sec --devices devices --out opened --receipt ack1 \
    >/dev/null || fail "central open"
out=$("$cli" outbox ack box ack1 --authority auth.pub --device dev) || fail "ack: $out"
case $out in "acknowledged 2 encounters"*"0 left"*) ;; *) fail "ack: $out" ;; esac
out=$("$cli" outbox ack box ack1 --authority auth.pub --device dev 2>&1)
[ $? -eq 1 ] || fail "a replayed ack should fail"
case $out in *replayed*) ;; *) fail "replay message: $out" ;; esac
"$cli" outbox list box | grep -q "^0 encounters" || fail "empty after the ack"

# an ack signed by another authority, one for another device: refused
mkdir box2 box3
"$cli" check installed.hswl --outbox box2 --authority auth2.pub --device dev \
    --storage-key dev.storage.key --finger fingers/107_1.png >/dev/null || fail "check to auth2"
"$cli" outbox export box2 --out b3.batch --device dev >/dev/null || fail "export box2"
"$cli" encounter open b3.batch --authority auth2.sec --devices devices --out opened2 --receipt ack2 \
    >/dev/null || fail "open at auth2"
out=$("$cli" outbox ack box ack2 --authority auth.pub --device dev 2>&1)
[ $? -eq 1 ] || fail "an ack from another authority should fail"
case $out in *signature*) ;; *) fail "wrong authority message: $out" ;; esac
"$cli" check installed.hswl --outbox box3 --authority auth.pub --device dev2 \
    --storage-key dev.storage.key --finger fingers/107_1.png >/dev/null || fail "check by dev2"
"$cli" outbox export box3 --out b4.batch --device dev2 >/dev/null || fail "export box3"
"$cli" encounter open b4.batch --authority auth.sec --devices devices --out opened3 --receipt ack3 \
    >/dev/null || fail "open dev2's batch"
out=$("$cli" outbox ack box ack3 --authority auth.pub --device dev 2>&1)
[ $? -eq 1 ] || fail "an ack for another device should fail"
case $out in *"another device"*) ;; *) fail "other device message: $out" ;; esac
"$cli" outbox ack box3 ack3 --authority auth.pub --device dev 2>/dev/null
[ $? -eq 1 ] || fail "dev's key on dev2's outbox should fail"

# purge
"$cli" check installed.hswl "${common[@]}" --finger fingers/107_2.png >/dev/null || fail "check 3"
"$cli" outbox purge box --older-than 30 --device dev | grep -q "purged 0" || fail "purge 30 days"
now=$(( $(date +%s) * 1000 + 5000 ))
"$cli" outbox purge box --older-than 0 --device dev --now "$now" | grep -q "purged 1 " \
    || fail "purge 0 days"
"$cli" outbox list box | grep -q "^0 encounters" || fail "empty after the purge"

# the audit log holds every step and verifies
"$cli" audit verify box --device dev >/dev/null || fail "audit verify"
log=$("$cli" audit show box) || fail "audit show"
for ev in search outbox_append outbox_export outbox_ack outbox_purge; do
    echo "$log" | grep -q "$ev" || fail "audit log lacks $ev: $log"
done
echo "$log" | grep -q "officer-7" || fail "audit log lacks the operator"

# damage: a flipped byte anywhere is named with its offset; a cut tail is a truncation
for i in 1 2; do
    "$cli" check installed.hswl "${common[@]}" --finger "fingers/10${i}_2.png" >/dev/null \
        || fail "check 4.$i"
done
size=$(stat -c %s box/outbox.seg)
for off in 3 60 100 $((size / 2)) $((size - 10)); do
    rm -rf flipped; cp -r box flipped
    flip flipped/outbox.seg "$off"
    out=$("$cli" outbox verify flipped 2>&1)
    [ $? -eq 1 ] || fail "flipped byte at $off not detected"
    case $out in *offset*) ;; *) fail "flip at $off: no offset named: $out" ;; esac
done
rm -rf cut; cp -r box cut
head -c $((size - 40)) box/outbox.seg > cut/outbox.seg
out=$("$cli" outbox verify cut 2>&1); [ $? -eq 1 ] || fail "cut tail not detected"
case $out in *truncated*) ;; *) fail "cut tail message: $out" ;; esac
out=$("$cli" outbox export cut --out b5.batch --device dev 2>&1) || fail "export of a torn outbox: $out"
case $out in *"dropped a torn last record"*"exported 1 encounters"*) ;; *) fail "torn tail: $out" ;; esac
"$cli" outbox verify cut >/dev/null || fail "verify after the torn tail was dropped"
echo "ok: check, outbox list/export/ack/purge/verify, refusals, audit, damage"
exit 0
