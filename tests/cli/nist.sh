#!/usr/bin/env bash
# hotspot nist: info, dump, validate (exit 1 with findings), convert, extract
# (byte-identical to the published hashes), build; exit codes 0/1/2.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
data=${HS_SHARED_DATA:-../shared/data}
mkdir -p "$work"
fails=0
check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}
"$cli" nist >/dev/null 2>&1; check "nist without a command exits 2" 2 $?
"$cli" nist convert --to yaml a b >/dev/null 2>&1; check "unknown encoding exits 2" 2 $?
"$cli" nist info "$work/none.an2" >/dev/null 2>&1; check "missing file exits 1" 1 $?

fs="$data/fingerprint/an2k-nbis/frontline-sample.an2"
nps="$data/int-i/XMLsamples/Sample-NPS-INT-ITransaction.xml"
if [ ! -f "$fs" ] || [ ! -f "$nps" ]; then
    echo "SKIP: shared data $data is absent (set HS_SHARED_DATA)"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi

out=$("$cli" nist info --json "$fs"); check "info --json" 0 $?
case "$out" in *'"tcn":"FRONTLINE-SAMPLE-0001"'*'"kind":"face"'*) echo "ok: info names TCN and face";;
    *) echo "FAIL: info --json: $out"; fails=$((fails + 1));; esac
"$cli" nist dump "$fs" | grep -q '^1.3.3.1 \[1.003\]=14$'; check "dump items" 0 $?
"$cli" nist validate "$nps" >/dev/null; check "INT-I sample validates" 0 $?
"$cli" nist validate "$fs" >/dev/null; check "frontline-sample has INT-I findings" 1 $?
"$cli" nist validate --profile base "$fs" >/dev/null; check "frontline-sample passes base" 0 $?

"$cli" nist convert --to xml "$fs" "$work/fs.xml" 2>/dev/null; check "lossy convert refused" 1 $?
"$cli" nist convert --to xml --allow-loss "$fs" "$work/fs.xml"; check "convert --allow-loss" 0 $?
"$cli" nist convert --to traditional --allow-loss "$work/fs.xml" "$work/fs.an2"; check "back to traditional" 0 $?
"$cli" nist convert --to traditional "$fs" "$work/same.an2"; check "traditional to traditional" 0 $?
cmp -s "$fs" "$work/same.an2"; check "re-encoding is byte-identical" 0 $?

rm -rf "$work/x"
"$cli" nist extract --out "$work/x" "$fs" >/dev/null; check "extract" 0 $?
for h in 6592c2bdacd9af251fd7aabbe182cab02090fccfcb423489d9b4892d85911258 \
         f1b18ae441498f8226d8b30cd4123fbb81345f8e8c38a29b1d1bd2ea770310fe \
         0c2f4d24b936e518c2a276f9f0cdc51080d44214c9dc1732fc7ad2fad698a5b3; do
    sha256sum "$work/x"/* | grep -q "^$h " || { echo "FAIL: no extracted file with SHA-256 $h"; fails=$((fails + 1)); }
done

face=$(ls "$work/x"/*face*.jpg)
for out in "$work/built.an2" "$work/built.xml"; do
    extra=""
    case "$out" in *.an2) extra="--field 2.018=DOE%1FJOHN";; esac
    # shellcheck disable=SC2086
    "$cli" nist build --tot NPS --ori BKA --ori-name Bundeskriminalamt --ori-country DEU \
        --dai INT --dai-name INTERPOL --dai-country XPO --tcn-serial 42 --face "$face" \
        $extra "$out"; check "build $(basename "$out")" 0 $?
    "$cli" nist validate "$out" >/dev/null; check "built $(basename "$out") validates" 0 $?
done
# Fingers need the WSQ encoder: build from the extracted WSQ streams when there is one.
if "$cli" image-info "$work/x/frontline-sample-r03-t14-finger-p2.wsq" >/dev/null 2>&1; then
    "$cli" nist build --tot CPS --ori BKA --ori-name Bundeskriminalamt --ori-country DEU \
        --dai INT --dai-name INTERPOL --dai-country XPO \
        --finger "2:$work/x/frontline-sample-r03-t14-finger-p2.wsq" \
        --finger "7:$work/x/frontline-sample-r04-t14-finger-p7.wsq" "$work/fingers.xml"
    check "build with two fingers" 0 $?
    "$cli" nist validate "$work/fingers.xml" >/dev/null; check "built fingers validate" 0 $?
    "$cli" nist info "$work/fingers.xml" | grep -c "finger, position" | grep -q '^2$'
    check "two finger images" 0 $?
else
    echo "SKIP part: no WSQ decoder in this build"
fi
# Type-9 minutiae from a template file (one standard-format record per view).
fmr="$data/fingerprint/format-samples/fmr.iso2005"
if [ -f "$fmr" ]; then
    for out in "$work/minutiae.an2" "$work/minutiae.xml"; do
        "$cli" nist build --tot CPS --ori BKA --ori-name BKA --ori-country DEU --dai INT \
            --dai-name INTERPOL --dai-country XPO --minutiae "$fmr" "$out"
        check "build with --minutiae $(basename "$out")" 0 $?
        "$cli" nist validate --profile int-i "$out" >/dev/null
        check "built minutiae $(basename "$out") validate" 0 $?
        "$cli" nist dump "$out" | grep -q '\[9.012\]='; check "$(basename "$out") has 9.012" 0 $?
    done
    # The XML form against INT-I's own schema (libxml2's validator, at test time).
    xsd="$data/int-i/XMLschemas/int-i/1.0/int-i.xsd"
    if command -v xmllint >/dev/null 2>&1 && [ -f "$xsd" ]; then
        xmllint --noout --schema "$xsd" "$work/minutiae.xml" 2>/dev/null
        check "built minutiae XML validates against int-i.xsd" 0 $?
    else
        echo "SKIP part: xmllint or int-i.xsd absent"
    fi
else
    echo "SKIP part: format-samples/fmr.iso2005 absent"
fi
"$cli" nist build --tot CPS --ori A --dai B --minutiae "$work/none.iso" "$work/m.an2" 2>/dev/null
check "a missing minutiae file exits 1" 1 $?
"$cli" nist build --tot NPS --ori A --dai B --field 2.018=X "$work/lossy.xml" 2>/dev/null
check "a field without an XML element is refused in XML" 1 $?
"$cli" nist dump "$work/built.an2" | grep -q '^2.3.1.2 \[2.018\]=JOHN$'; check "--field items" 0 $?
"$cli" nist build --tot XYZ --ori A --dai B "$work/bad.an2" 2>/dev/null; check "bad TOT exits 1" 1 $?
[ $fails -eq 0 ] && echo "all passed" || echo "$fails failed"
[ $fails -eq 0 ]
