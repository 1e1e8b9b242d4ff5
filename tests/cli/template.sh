#!/bin/bash
# hotspot template info / convert on the NIST samples (skips without them).
set -u
cli=${HS_CLI:?HS_CLI not set}
data=${HS_SHARED_DATA:-../shared/data}/fingerprint/format-samples
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

# usage errors: exit 2
"$cli" template >/dev/null 2>&1; [ $? -eq 2 ] || fail "no subcommand should exit 2"
"$cli" template info >/dev/null 2>&1; [ $? -eq 2 ] || fail "info without files should exit 2"
"$cli" template convert --to nope a b >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown format should exit 2"
# runtime error: exit 1 with the file named
printf 'not a template' > "$work/bad.bin"
out=$("$cli" template info "$work/bad.bin" 2>&1); [ $? -eq 1 ] || fail "bad file should exit 1"
case $out in *bad.bin*) ;; *) fail "error should name the file: $out" ;; esac

if [ ! -f "$data/fmr.iso2005" ]; then
    echo "SKIP: $data is absent (set HS_SHARED_DATA)"
    exit 77
fi
out=$("$cli" template info "$data/fmr.iso2005") || fail "info iso2005"
echo "$out" | grep -q "iso19794-2, version 2005" || fail "iso2005 format line: $out"
echo "$out" | grep -q "view 0: finger 7, view number 0, impression 0, quality 90, 27 minutiae, 512x512 px, 500x500 ppi" \
    || fail "iso2005 view 0: $out"
json=$("$cli" template info --json "$data/fmr.ansi2004" "$data/fmr.ansi2007") || fail "info --json"
echo "$json" | grep -q '"format": "ansi378", "version": "2004' || fail "ansi2004 json: $json"
echo "$json" | grep -q '"format": "ansi378-2009"' || fail "ansi2007 json: $json"
[ "$(echo "$json" | grep -o '"minutiae": ' | wc -l)" -eq 5 ] || fail "5 views expected: $json"
if command -v python3 >/dev/null; then
    echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["views"][2]["minutiae"]==28' \
        || fail "json does not parse"
fi

# conversions: ISO -> ANSI -> native -> ISO keeps every view and minutia count
"$cli" template convert --to ansi378 "$data/fmr.iso2005" "$work/a.ansi" || fail "convert to ansi378"
"$cli" template convert --to hst "$work/a.ansi" "$work/a.hst" || fail "convert to hst"
"$cli" template convert --to=iso19794-2 "$work/a.hst" "$work/a.iso" || fail "convert to iso"
"$cli" template info "$work/a.ansi" | grep -q "ansi378, version 2004" || fail "a.ansi format"
"$cli" template info "$work/a.hst" | grep -q "hst, version 1" || fail "a.hst format"
for f in a.ansi a.hst a.iso; do
    n=$("$cli" template info "$work/$f" | grep -c "minutiae")
    [ "$n" -eq 2 ] || fail "$f: 2 views expected"
    "$cli" template info "$work/$f" | grep -q "view 1: finger 2, view number 0, impression 0, quality 70, 22 minutiae" \
        || fail "$f view 1"
done
# ISO -> native -> ISO gives back the original bytes (minutiae, header and extended data kept)
"$cli" template convert --to hst "$data/fmr.iso2005" "$work/b.hst" || fail "iso to hst"
"$cli" template convert --to iso19794-2 "$work/b.hst" "$work/b.iso" || fail "hst to iso"
cmp -s "$data/fmr.iso2005" "$work/b.iso" || fail "ISO -> hst -> ISO changed bytes"
# a missing input: exit 1
"$cli" template convert --to hst "$work/missing" "$work/x.hst" 2>/dev/null; [ $? -eq 1 ] || fail "missing input should exit 1"
[ ! -e "$work/x.hst" ] || fail "no output on failure"
echo "ok"
