#!/usr/bin/env bash
# hotspot synth and hotspot demo: files, names, determinism, usage errors.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
rm -rf "$work"; mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$cli" synth --fingers 2 --impressions 2 --seed 5 --size 320x360 --out "$work/a" >/dev/null || fail "synth exit $?"
for f in 101_1 101_2 102_1 102_2; do
    [ -s "$work/a/$f.png" ] || fail "missing $f.png"
    [ -s "$work/a/$f.hst" ] || fail "missing $f.hst"
done
"$cli" image-info "$work/a/101_1.png" | grep -q "320x360" || fail "image size is not 320x360"
"$cli" synth --fingers 1 --impressions 2 --seed 5 --size 320x360 --truth txt --out "$work/b" >/dev/null || fail "synth txt exit $?"
cmp -s "$work/a/101_2.png" "$work/b/101_2.png" || fail "same seed gave different images"
grep -v '^#' "$work/b/101_1.txt" | awk 'NF != 5 { bad = 1 } END { exit bad }' || fail "truth text lines are not 'x y angle type quality'"
[ "$(grep -vc '^#' "$work/b/101_1.txt")" -ge 10 ] || fail "fewer than 10 truth minutiae"
"$cli" synth --fingers 2 --impressions 2 --seed 5 --size 320x360 --threads 2 --out "$work/t" >/dev/null || fail "synth --threads 2 exit $?"
diff -r "$work/a" "$work/t" >/dev/null || fail "two threads gave other files than one"
"$cli" synth --fingers 1 --impressions 1 --seed 6 --size 320x360 --out "$work/c" >/dev/null
cmp -s "$work/a/101_1.png" "$work/c/101_1.png" && fail "different seeds gave the same image"

"$cli" synth --fingers 1 >/dev/null 2>&1; [ $? = 2 ] || fail "synth without --out is not a usage error"
"$cli" synth --out "$work/d" --ppi 5 >/dev/null 2>&1; [ $? = 2 ] || fail "bad --ppi is not a usage error"
"$cli" synth --out "$work/d" --size 10x10 >/dev/null 2>&1; [ $? = 2 ] || fail "bad --size is not a usage error"

out=$("$cli" demo --people 3 --enrolled 2) || fail "demo exit $?"
echo "$out" | grep -q "enrolled 2 subjects" || fail "demo did not enrol 2 subjects"

[ $fails = 0 ] && echo "all synth CLI checks passed"
exit $((fails > 0))
