#!/bin/bash
# hotspot device keygen, audit show|verify|export, and the installed list
# stored encrypted (--storage-key) with installs and failed unlocks logged
# (--audit DIR --device PREFIX).
set -u
cli=${HS_CLI:?HS_CLI not set}
work=${HS_WORK:-$(mktemp -d)}
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
flip() { # flip one bit of byte $2 of file $1
    local b
    b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

if ! "$cli" device keygen dev >/dev/null 2>&1; then
    echo "skipped: built without libsodium"; exit 77
fi
for f in dev.sign.sec dev.sign.pub dev.storage.key; do [ -f $f ] || fail "keygen wrote no $f"; done
[ "$(stat -c %a dev.sign.sec)" = 600 ] || fail "signing key mode"
[ "$(stat -c %a dev.storage.key)" = 600 ] || fail "storage key mode"
[ "$(stat -c %s dev.sign.sec)" = 64 ] || fail "signing key size"
"$cli" device keygen dev >/dev/null 2>&1; [ $? -eq 1 ] || fail "keygen must not overwrite keys"
"$cli" device >/dev/null 2>&1; [ $? -eq 2 ] || fail "device without command should exit 2"
"$cli" audit >/dev/null 2>&1; [ $? -eq 2 ] || fail "audit without command should exit 2"

# a list installed from a package, stored encrypted, the install logged
"$cli" watchlist keygen --authority auth >/dev/null || fail "authority keygen"
"$cli" watchlist keygen --device dev >/dev/null || fail "device box keygen"
"$cli" synth --out sy --fingers 2 --impressions 2 --size 256x256 --seed 3 >/dev/null 2>&1 \
    || fail "synth"
"$cli" watchlist create l.hswl --version 1 >/dev/null || fail "create"
"$cli" watchlist add l.hswl --id SECRET-SUBJECT-1 --finger sy/101_1.hst >/dev/null || fail "add"
"$cli" watchlist add l.hswl --id SECRET-SUBJECT-2 --finger sy/102_1.hst >/dev/null || fail "add 2"
"$cli" watchlist pack l.hswl --key auth.sec --to dev.pub --out v1.pkg >/dev/null || fail "pack"
mkdir data
"$cli" watchlist unpack v1.pkg --authority auth.pub --device dev --storage-key dev.storage.key \
    --audit data --out data/list.enc >/dev/null || fail "unpack encrypted"
[ "$(stat -c %a data/list.enc)" = 600 ] || fail "encrypted list mode"
grep -q "SECRET-SUBJECT" data/list.enc && fail "subject id in the clear"
"$cli" watchlist info data/list.enc >/dev/null 2>&1; [ $? -eq 1 ] || fail "encrypted list read as plain"
"$cli" watchlist info --json data/list.enc --storage-key dev.storage.key \
    | grep -q '"subjects": 2' || fail "info with the storage key"
"$cli" watchlist search data/list.enc --storage-key dev.storage.key --audit data --device dev \
    --finger sy/101_2.hst >/dev/null || fail "search encrypted, logged"
# the wrong key: refused, and the failed unlock logged
head -c 32 /dev/urandom > wrong.key; chmod 600 wrong.key
out=$("$cli" watchlist list data/list.enc --storage-key wrong.key --audit data --device dev 2>&1)
[ $? -eq 1 ] || fail "wrong storage key must fail"
case $out in *"decrypt"*) ;; *) fail "wrong key message: $out" ;; esac
chmod 644 wrong.key
"$cli" watchlist list data/list.enc --storage-key wrong.key >/dev/null 2>&1; [ $? -eq 1 ] \
    || fail "a world-readable key file must be refused"
"$cli" watchlist list data/list.enc --audit data >/dev/null 2>&1; [ $? -eq 2 ] \
    || fail "--audit without --device should exit 2"

# a delta applied to the encrypted installed list (read and written encrypted)
cp l.hswl v2.hswl
"$cli" watchlist add v2.hswl --id SECRET-SUBJECT-3 --finger sy/101_2.hst >/dev/null || fail "add 3"
"$cli" watchlist pack v2.hswl --version 2 --base l.hswl --key auth.sec --to dev.pub \
    --out d2.pkg >/dev/null || fail "pack delta"
"$cli" watchlist unpack d2.pkg --authority auth.pub --device dev --storage-key dev.storage.key \
    --installed data/list.enc --out data/list2.enc >/dev/null || fail "delta onto encrypted list"
"$cli" watchlist info --json data/list2.enc --storage-key dev.storage.key \
    | grep -q '"version": 2, "subjects": 3' || fail "delta content"
grep -q "SECRET-SUBJECT" data/list2.enc && fail "delta list in the clear"

# the log: three entries, shown and verified
out=$("$cli" audit show data) || fail "audit show"
echo "$out" | grep -q "package_install .*ref=version 1 .*count=2" || fail "install entry: $out"
echo "$out" | grep -q "search .*ref=version 1" || fail "search entry: $out"
echo "$out" | grep -q "unlock_failed" || fail "unlock entry: $out"
"$cli" audit show --json data | grep -q '"count": 3' || fail "show --json"
"$cli" audit verify data --device dev --save-head head1 >/dev/null || fail "verify"
"$cli" audit verify data --key dev.sign.pub --anchor head1 --json | grep -q '"ok": true' \
    || fail "verify --json with anchor"
"$cli" device keygen other >/dev/null || fail "keygen other"
"$cli" audit verify data --device other >/dev/null 2>&1; [ $? -eq 1 ] || fail "other key must fail"

# tampering: a flipped byte in entry 1 is found and named
cp data/audit.log saved.log
size=$(stat -c %s data/audit.log)
flip data/audit.log $((size - 300))
out=$("$cli" audit verify data --device dev 2>&1); [ $? -eq 1 ] || fail "tampered log verified"
case $out in *"entry "*"offset"*) ;; *) fail "tamper message does not say where: $out" ;; esac
"$cli" audit verify data --device dev --json 2>/dev/null | grep -q '"bad_index": [0-9]' \
    || fail "json bad_index"
cp saved.log data/audit.log
# truncation at an entry boundary: only the anchor catches it
head -c "$(( $(stat -c %s saved.log) - 150 ))" saved.log > cut.log
"$cli" audit verify cut.log --device dev --anchor head1 >/dev/null 2>&1; [ $? -eq 1 ] \
    || fail "truncated log passed the anchor"

# export for the centre, then an incremental one checked against its head
"$cli" audit export data --device dev --out e1.audit >/dev/null || fail "export"
"$cli" audit verify e1.audit --device dev --save-head centre.head | grep -q "export" \
    || fail "verify export"
HOTSPOT_OPERATOR=officer-9 "$cli" watchlist search data/list.enc --storage-key dev.storage.key \
    --audit data --device dev --finger sy/102_2.hst >/dev/null || fail "second search"
"$cli" audit show data | grep -q "operator=officer-9" || fail "operator"
"$cli" audit export data --device dev --from 3 --out e2.audit >/dev/null || fail "export 2"
"$cli" audit verify e2.audit --device dev --anchor centre.head >/dev/null || fail "incremental"
"$cli" audit verify e2.audit --device dev --anchor head1 >/dev/null 2>&1
[ $? -eq 0 ] || fail "an older anchor at the same place is fine"
echo "ok"
