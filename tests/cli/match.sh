#!/usr/bin/env bash
# hotspot match and hotspot eval on the shared ISO templates and images:
# scores, --pairs order and format, unreadable input, the FVC protocol.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
data=${HS_SHARED_DATA:-../shared/data}
iso="$data/fingerprint/iso19794-2-secugen/FVC2002_DB1_B"
img="$data/fingerprint/FVC2002_DB1_B"
if [ ! -d "$iso" ] || [ ! -d "$img" ]; then
    echo "SKIP: shared data $data absent (set HS_SHARED_DATA)"
    exit 77
fi
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# an out-of-range option gives the allowed range; a device is not read
out=$("$cli" match --ppi 0 "$iso/101_1.iso" "$iso/101_2.iso" 2>&1); [ $? -eq 2 ] || fail "--ppi 0"
case $out in *"50..5000"*) ;; *) fail "--ppi message: $out" ;; esac
timeout 20 "$cli" match /dev/zero "$iso/101_1.iso" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "match /dev/zero: exit $rc"

"$cli" match >/dev/null 2>&1; [ $? = 2 ] || fail "match without files should exit 2"
s=$("$cli" match "$iso/101_1.iso" "$iso/101_1.iso") || fail "match A A exits non-zero"
awk -v s="$s" 'BEGIN { exit !(s > 0.9) }' || fail "self score $s not near 1"
g=$("$cli" match "$iso/101_1.iso" "$iso/101_2.iso")
i=$("$cli" match "$iso/101_1.iso" "$iso/102_1.iso")
awk -v g="$g" -v i="$i" 'BEGIN { exit !(g > i) }' || fail "genuine $g not above impostor $i"
# images are detected by content and extracted (ppi from the FVC table)
s=$("$cli" match "$img/101_1.tif" "$img/101_2.tif") || fail "match on images failed"
awk -v s="$s" 'BEGIN { exit !(s > 0.05) }' || fail "image genuine score $s too low"

printf '%s %s\n%s %s\n%s %s\n' "$iso/101_1.iso" "$iso/101_2.iso" "$iso/101_1.iso" \
    "$iso/102_1.iso" "$iso/101_2.iso" "$iso/101_1.iso" > "$work/pairs"
"$cli" match --pairs "$work/pairs" > "$work/out" || fail "--pairs exits non-zero"
[ "$(wc -l < "$work/out")" = 3 ] || fail "--pairs should print 3 lines"
[ "$(awk 'NR==1 {print $3}' "$work/out")" = "$g" ] || fail "--pairs line 1 differs from match A B"
[ "$(awk 'NR==2 {print $2}' "$work/out")" = "$iso/102_1.iso" ] || fail "--pairs order"
[ "$(awk 'NR==3 {print $3}' "$work/out")" = "$g" ] || fail "--pairs score not symmetric"

echo "$iso/101_1.iso $work/missing.iso" > "$work/bad"
"$cli" match --pairs "$work/bad" >/dev/null 2>"$work/err"; [ $? = 1 ] || fail "missing file should exit 1"
grep -q "missing.iso" "$work/err" || fail "missing file not named"
echo "not a template" > "$work/junk.iso"
"$cli" match "$iso/101_1.iso" "$work/junk.iso" >/dev/null 2>"$work/err"; [ $? = 1 ] || fail "junk should exit 1"
grep -q "junk.iso" "$work/err" || fail "junk file not named"

"$cli" eval --impostors fvc --det "$work/det.svg" "$iso" > "$work/eval" || fail "eval exits non-zero"
grep -q "FVC2002_DB1_B" "$work/eval" || fail "eval prints no folder line"
grep -q " 280/45 " "$work/eval" || fail "eval fvc protocol should count 280 genuine / 45 impostor pairs"
grep -q "<polyline" "$work/det.svg" || fail "DET SVG has no curve"
"$cli" eval --impostors bogus "$iso" >/dev/null 2>&1; [ $? = 2 ] || fail "bad --impostors should exit 2"
"$cli" eval --impostors fvc --thorough "$iso" > "$work/eval-thorough" || fail "eval --thorough exits non-zero"
grep -q " 280/45 " "$work/eval-thorough" || fail "eval --thorough should count the same pairs"
# the thorough mode's scores differ from the default's, so the figures may too; the
# folder line must be there with four rates
awk '$1 == "FVC2002_DB1_B" && NF >= 9 { ok = 1 } END { exit !ok }' "$work/eval-thorough" ||
    fail "eval --thorough prints no folder line"

# --rank1: the first impression of every finger is the gallery. A probe that is a copy
# of its own finger's gallery entry is a hit, one that copies another finger's a miss.
mkdir -p "$work/r1"
cp "$iso/101_1.iso" "$work/r1/101_1.iso"; cp "$iso/101_1.iso" "$work/r1/101_2.iso"
cp "$iso/102_1.iso" "$work/r1/102_1.iso"; cp "$iso/101_1.iso" "$work/r1/102_2.iso"
"$cli" eval --rank1 "$work/r1" > "$work/r1.out" || fail "eval --rank1 exits non-zero"
grep -q "^rank-1 (2 gallery, 2 probes): 50.00% (1 hits)$" "$work/r1.out" ||
    fail "eval --rank1 on the copies: $(tail -1 "$work/r1.out")"
"$cli" eval --rank1 "$iso" "$work/r1" > "$work/r1b.out" || fail "eval --rank1 on two folders"
grep -q "^rank-1 (12 gallery, 72 probes): " "$work/r1b.out" ||
    fail "eval --rank1 should search 72 probes in a gallery of 12: $(tail -1 "$work/r1b.out")"

# --perturb: the identity crop changes nothing, the noise is the same on every run,
# a real change still evaluates, bad specs are refused
cols='$1 == "FVC2002_DB1_B" { print $2, $3, $4, $5, $6 }'
"$cli" eval --threads 2 "$img" | awk "$cols" > "$work/p-none" || fail "eval on images"
"$cli" eval --threads 2 --perturb crop:0,0 "$img" | awk "$cols" > "$work/p-id" ||
    fail "eval --perturb crop:0,0"
[ -s "$work/p-none" ] && cmp -s "$work/p-none" "$work/p-id" ||
    fail "crop:0,0 should change nothing: $(cat "$work/p-none") / $(cat "$work/p-id")"
"$cli" eval --threads 2 --perturb noise:1,7 "$img" | awk "$cols" > "$work/p-n1" || fail "noise:1,7"
"$cli" eval --threads 2 --perturb noise:1,7 "$img" | awk "$cols" > "$work/p-n2" || fail "noise:1,7 again"
[ -s "$work/p-n1" ] && cmp -s "$work/p-n1" "$work/p-n2" || fail "noise:1,7 differs between runs"
"$cli" eval --threads 2 --perturb crop:3,2 "$img" | awk "$cols" > "$work/p-c" || fail "crop:3,2"
[ -s "$work/p-c" ] || fail "crop:3,2 printed no folder line"
for bad in crop:1 crop:a,1 blur:1,1 noise:300,1 crop:1,1x; do
    "$cli" eval --perturb "$bad" "$img" >/dev/null 2>&1; rc=$?
    [ $rc = 2 ] || fail "--perturb $bad: exit $rc, expected 2"
done
out=$("$cli" eval --perturb crop:4000,0 "$img" 2>&1); rc=$?
[ $rc = 1 ] || fail "crop:4000,0: exit $rc, expected 1"
case $out in *"crops the whole image"*) ;; *) fail "crop:4000,0 message: $out" ;; esac

[ $fails = 0 ] && echo "ok: match and eval" || exit 1
