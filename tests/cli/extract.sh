#!/usr/bin/env bash
# hotspot extract: templates in each format, the output line, debug stages,
# exit codes 1 (a failed image, named) and 2 (usage). Inputs come from
# `hotspot synth`, so no shared data is needed.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}/extract
rm -rf "$work"; mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then fail "$1: exit $3, want $2"; else echo "ok: $1"; fi
}

"$cli" synth --out "$work/in" --fingers 1 --impressions 2 >/dev/null 2>&1 || { echo "SKIP: synth failed"; exit 77; }
imgs=$(ls "$work"/in/*.png)

out=$("$cli" extract --out "$work/hst" $imgs); check "extract exits 0" 0 $?
n=$(printf '%s\n' "$out" | wc -l)
[ "$n" = 2 ] || fail "want 2 output lines, got $n"
printf '%s\n' "$out" | while read -r path count quality ms; do
    [ -f "$path" ] || echo "FAIL: line does not start with the image path: $path"
    [ "$count" -ge 10 ] 2>/dev/null || echo "FAIL: $path: $count minutiae"
    [ "$quality" -ge 1 ] && [ "$quality" -le 100 ] 2>/dev/null || echo "FAIL: $path: quality $quality"
done | grep FAIL && fails=$((fails + 1))
[ -s "$work/hst/101_1.hst" ] || fail "no 101_1.hst"
"$cli" template info "$work/hst/101_1.hst" >/dev/null 2>&1; check "template info reads the .hst" 0 $?

"$cli" extract --format iso19794-2 --out "$work/iso" "$work/in/101_1.png" >/dev/null; check "iso format" 0 $?
[ -s "$work/iso/101_1.iso" ] || fail "no 101_1.iso"
"$cli" extract --format ansi378 --ppi 500 --out "$work/ansi" "$work/in/101_1.png" >/dev/null; check "ansi format" 0 $?
[ -s "$work/ansi/101_1.ansi" ] || fail "no 101_1.ansi"

# The stage pictures need a HOTSPOT_TESTING build (tools/test.sh makes its
# sanitizer build one); elsewhere --debug-dir is a usage error naming it.
"$cli" extract --debug-dir "$work/dbg" --out "$work/d" "$work/in/101_1.png" >/dev/null 2>"$work/err"
rc=$?
if [ $rc = 2 ] && grep -q HOTSPOT_TESTING "$work/err"; then
    echo "SKIP: debug stages: this build has no HOTSPOT_TESTING hooks"
else
    check "debug dir" 0 $rc
    for s in normalised mask orientation frequency enhanced binary skeleton minutiae; do
        [ -s "$work/dbg/101_1_$s.png" ] || fail "no debug stage $s"
    done
fi

missing="$work/none.png"
"$cli" extract --out "$work/x" "$work/in/101_1.png" "$missing" >/dev/null 2>"$work/err"; check "missing image exits 1" 1 $?
grep -qF "$missing" "$work/err" || fail "stderr does not name the failed image"

"$cli" extract "$work/in/101_1.png" >/dev/null 2>&1; check "no --out exits 2" 2 $?
"$cli" extract --out "$work/x" >/dev/null 2>&1; check "no image exits 2" 2 $?
"$cli" extract --format bogus --out "$work/x" "$work/in/101_1.png" >/dev/null 2>&1; check "bad format exits 2" 2 $?
"$cli" extract --ppi 20 --out "$work/x" "$work/in/101_1.png" >/dev/null 2>&1; check "bad ppi exits 2" 2 $?
"$cli" extract --help >/dev/null; check "--help exits 0" 0 $?

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all extract CLI checks passed"
