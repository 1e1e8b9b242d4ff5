#!/usr/bin/env bash
# hotspot watchlist add/search --nist: enrol from a transaction, search with
# one, answer as an INT-I SRE transaction (traditional and XML).
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
data=${HS_SHARED_DATA:-../shared/data}
mkdir -p "$work"
fails=0
check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}
wl="$work/nist.hswl"
rm -f "$wl"
"$cli" watchlist create "$wl" >/dev/null; check "create" 0 $?
"$cli" watchlist search "$wl" --finger x.png --answer "$work/a.an2" >/dev/null 2>&1
check "--answer without --nist exits 2" 2 $?
"$cli" watchlist add "$wl" --id X --nist "$work/none.an2" >/dev/null 2>&1
check "missing transaction exits 1" 1 $?

fvc="$data/fingerprint/FVC2002_DB1_B"
t3="$data/fingerprint/an2k-nbis/type_3_wvu.an2"
sig="$data/fingerprint/an2k-nbis/sign_raw.an2"
if [ ! -f "$fvc/101_1.tif" ] || [ ! -f "$t3" ]; then
    echo "SKIP: shared data $data is absent (set HS_SHARED_DATA)"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
# Fingers need the WSQ encoder: without it, build refuses them.
build() { # build OUT SERIAL POS:IMAGE...
    local out=$1 serial=$2
    shift 2
    local args=()
    for f in "$@"; do args+=(--finger "$f"); done
    "$cli" nist build --tot CPS --ori BKA --ori-name Bundeskriminalamt --ori-country DEU \
        --dai INT --dai-name INTERPOL --dai-country XPO --tcn-serial "$serial" "${args[@]}" "$out"
}
if ! build "$work/g1.an2" 1 "2:$fvc/101_1.tif" "3:$fvc/102_1.tif" >/dev/null 2>&1; then
    echo "SKIP: no WSQ encoder in this build"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
build "$work/g2.xml" 2 "2:$fvc/103_1.tif" >/dev/null; check "build gallery XML" 0 $?
build "$work/probe.xml" 3 "2:$fvc/101_2.tif" "3:$fvc/102_3.tif" >/dev/null; check "build probe" 0 $?

out=$("$cli" watchlist add "$wl" --id S1 --field category=test --nist "$work/g1.an2")
check "add --nist traditional" 0 $?
case "$out" in *"S1: 2 fingers"*"1 fields"*) echo "ok: two fingers enrolled";;
    *) echo "FAIL: add: $out"; fails=$((fails + 1));; esac
"$cli" watchlist add "$wl" --id S2 --nist "$work/g2.xml" >/dev/null; check "add --nist XML" 0 $?
# Ten rolled fingers from Type-3 records (the slaps and plain thumbs are passed over).
out=$("$cli" watchlist add "$wl" --id WVU --nist "$t3"); check "add Type-3 transaction" 0 $?
case "$out" in *"WVU: 10 fingers"*) echo "ok: ten fingers by position";;
    *) echo "FAIL: add: $out"; fails=$((fails + 1));; esac
if [ -f "$sig" ]; then
    "$cli" watchlist add "$wl" --id SIG --nist "$sig" >/dev/null 2>&1
    check "a transaction with no finger or face exits 1" 1 $?
fi
"$cli" watchlist list --json "$wl" | grep -q '"id": "S1", "fingers": \[{"position": 2, '
check "positions from the records" 0 $?

out=$("$cli" watchlist search "$wl" --nist "$work/probe.xml" --json --answer "$work/answer.an2")
check "search --nist --answer" 0 $?
case "$out" in *'"candidates": ['*'"id": "S1"'*) echo "ok: S1 ranks first";;
    *) echo "FAIL: search: $out"; fails=$((fails + 1));; esac
echo "$out" | grep -Eq '"rank": 1, "id": "S1", "score": [0-9.]+, "hit": true'
check "S1 is a hit" 0 $?
dump=$("$cli" nist dump "$work/answer.an2"); check "answer reads" 0 $?
ptcn=$("$cli" nist dump "$work/probe.xml" | sed -n 's/^1\.[0-9.]* \[1\.009\]=//p')
case "$dump" in *"[1.004]=SRE"*"[1.010]=$ptcn"*"[2.064]=I"*"[2.065]=S1"*) echo "ok: SRE names the search and the hit";;
    *) echo "FAIL: answer: $dump"; fails=$((fails + 1));; esac
"$cli" nist validate --profile int-i "$work/answer.an2" >/dev/null; check "answer is INT-I valid" 0 $?
hits=$(echo "$out" | grep -o '"hit": true' | wc -l)
[ "$hits" -ge 1 ] && [ -f "$work/answer-hit$hits.an2" ] && [ ! -e "$work/answer-hit$((hits + 1)).an2" ]
check "one SRE per hit ($hits)" 0 $?
hdump=$("$cli" nist dump "$work/answer-hit1.an2"); check "hit answer reads" 0 $?
case "$hdump" in *"[1.004]=SRE"*"[1.010]=$ptcn"*"[2.010]="*S1*"[2.064]=1"*) echo "ok: hit 1 names S1";;
    *) echo "FAIL: hit answer: $hdump"; fails=$((fails + 1));; esac
"$cli" nist validate --profile int-i "$work/answer-hit1.an2" >/dev/null; check "hit answer is INT-I valid" 0 $?
"$cli" watchlist search "$wl" --nist "$work/probe.xml" --answer "$work/answer.xml" >/dev/null
check "XML answer" 0 $?
"$cli" nist validate --profile int-i "$work/answer.xml" >/dev/null; check "XML answer is INT-I valid" 0 $?
"$cli" nist validate --profile int-i "$work/answer-hit1.xml" >/dev/null
check "XML hit answer is INT-I valid" 0 $?
"$cli" watchlist search "$wl" --nist "$work/probe.xml" --nist "$work/g2.xml" >/dev/null 2>&1
check "two --nist exits 2" 2 $?

[ $fails -eq 0 ] && echo "all ok" || echo "$fails failed"
[ $fails -eq 0 ]
