#!/bin/bash
# SIGKILL at random moments during `hotspot check`, `outbox export`, `outbox
# ack` and `outbox purge` (HS_OUTBOX_KILLS rounds, default 20; 200 by hand:
# HS_OUTBOX_KILLS=200 tests/cli/outbox_kill.sh). After every kill the next
# writable command repairs what the kill left, and:
#  - the outbox and the audit log verify;
#  - every check that returned is still queued or exported, unless an
#    acknowledgement or a purge was attempted after it;
#  - no encounter whose acknowledgement returned ever comes back.
# test_outbox runs the same at the library level with the state of every
# call; this runs the tool, whose check logs the search, then appends.
set -u
cli=${HS_CLI:?HS_CLI not set}
kills=${HS_OUTBOX_KILLS:-20}
work=${HS_WORK:-$(mktemp -d)}
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
fail() { echo "FAIL (round $round): $*"; exit 1; }
round=0
if ! "$cli" device keygen dev >/dev/null 2>&1; then
    echo "SKIP: built without libsodium (no device keys)"
    exit 77
fi
"$cli" authority keygen auth >/dev/null || fail "authority keygen"
mkdir -p devices box && cp dev.sign.pub devices/dev.pub
"$cli" synth --out f --fingers 4 --impressions 2 --seed 7 >/dev/null || fail synth
"$cli" watchlist create l.hswl --version 1 >/dev/null || fail create
"$cli" watchlist add l.hswl --id S-1 --finger 2:f/101_1.png >/dev/null || fail add
common=(--outbox box --authority auth.pub --device dev)
touch must acked
listed() { "$cli" outbox list box | sed -n 's/^\([0-9a-f]\{32\}\)  .*/\1/p' | sort; }

for round in $(seq 1 "$kills"); do
    op=$((RANDOM % 6))
    case $op in
    0|1|2)  # a check
        "$cli" check l.hswl "${common[@]}" --finger "2:f/10$((RANDOM % 4 + 1))_2.png" --json \
            > out 2>/dev/null &
        pid=$! ;;
    3)      # an export
        "$cli" outbox export box --out b.batch --device dev >/dev/null 2>&1 &
        pid=$! ;;
    4)      # an acknowledgement of what the last whole export held
        if "$cli" outbox export box --out a.batch --device dev | grep -q exported &&
            "$cli" encounter open a.batch --authority auth.sec --devices devices --out opened \
                --receipt a.ack > opened.txt 2>/dev/null; then
            : > must   # the ack may remove any of them
            "$cli" outbox ack box a.ack --authority auth.pub --device dev >/dev/null 2>&1 &
            pid=$!
        else
            continue
        fi ;;
    5)      # a purge of everything
        : > must
        "$cli" outbox purge box --older-than 0 --device dev --now $(( $(date +%s) * 1000 + 2000 )) \
            >/dev/null 2>&1 &
        pid=$! ;;
    esac
    sleep "0.$(printf %03d $((RANDOM % 250)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    if [ "$op" -le 2 ] && [ "$rc" -eq 0 ]; then
        sed -n 's/.*"encounter": "\([0-9a-f]*\)".*/\1/p' out >> must
    fi
    if [ "$op" -eq 4 ] && [ "$rc" -eq 0 ]; then
        sed -n 's/^opened  \[[0-9]*\] \([0-9a-f]*\) .*/\1/p' opened.txt >> acked
    fi
    # the next writable command repairs (a no-op purge), then everything verifies
    "$cli" outbox purge box --older-than 36500 --device dev >/dev/null 2>err ||
        fail "the outbox does not open after the kill: $(cat err)"
    "$cli" outbox verify box >/dev/null 2>err || fail "outbox verify: $(cat err)"
    "$cli" audit verify box --device dev >/dev/null 2>err || fail "audit verify: $(cat err)"
    now=$(listed)
    for id in $(sort -u must); do
        echo "$now" | grep -q "^$id$" || fail "check $id returned and is lost"
    done
    for id in $(sort -u acked); do
        echo "$now" | grep -q "^$id$" && fail "acknowledged $id is back"
    done
done
echo "$kills kills: outbox and audit log verify; $(sort -u acked | wc -l) acknowledged never came back"
exit 0
