#!/usr/bin/env bash
# hotspot image convert between formats (a PGM ridge pattern made here, WSQ,
# JPEG 2000, PNG, BMP), image-info's size/bit-rate/ratio report for WSQ and
# JPEG 2000, usage errors; NBIS's WSQ files when the shared data is present.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_line() { # expect_line OUTPUT SUBSTRING
    case "$1" in *"$2"*) echo "ok: $2";; *) fail "'$2' not in: $1";; esac
}

# 96x64 binary PGM with a ring pattern (awk writes the bytes)
{
    printf 'P5\n96 64\n255\n'
    awk 'BEGIN { for (y = 0; y < 64; y++) for (x = 0; x < 96; x++) {
                   r = sqrt((x - 40) ^ 2 + (y - 30) ^ 2); printf "%c", int(128 + 100 * sin(r * 0.7)) } }'
} > "$work/ring.pgm"
[ "$(wc -c < "$work/ring.pgm")" -eq $((13 + 96 * 64)) ] || fail "ring.pgm has the wrong size"

"$cli" image convert --ppi 500 "$work/ring.pgm" "$work/ring.wsq" || fail "convert to wsq: exit $?"
out=$("$cli" image-info "$work/ring.wsq") || fail "image-info wsq: exit $?"
expect_line "$out" "ring.wsq: wsq 96x64 grey 8-bit, 500 ppi, "
expect_line "$out" " bpp, "
"$cli" image convert --bitrate 2.25 "$work/ring.pgm" "$work/ring225.wsq" || fail "bitrate 2.25: exit $?"
a=$(wc -c < "$work/ring.wsq"); b=$(wc -c < "$work/ring225.wsq")
[ "$b" -gt "$a" ] && echo "ok: 2.25 bpp file ($b) larger than 0.75 ($a)" || fail "2.25 bpp not larger: $b vs $a"

# lossless JPEG 2000 keeps every pixel: back through PGM gives the same bytes
"$cli" image convert "$work/ring.pgm" "$work/ring.jp2" || fail "convert to jp2: exit $?"
"$cli" image convert "$work/ring.jp2" "$work/back.pgm" || fail "jp2 to pgm: exit $?"
cmp -s "$work/ring.pgm" "$work/back.pgm" && echo "ok: jp2 lossless round trip" || fail "jp2 round trip differs"
"$cli" image convert --lossy 20 "$work/ring.pgm" "$work/lossy.jp2" || fail "lossy jp2: exit $?"
out=$("$cli" image-info --json "$work/ring.jp2" "$work/lossy.jp2") || fail "image-info jp2: exit $?"
expect_line "$out" '"format": "jp2", "width": 96, "height": 64'
expect_line "$out" '"ratio": '
# WSQ to the other formats
for ext in png bmp pgm jpg j2k; do
    "$cli" image convert "$work/ring.wsq" "$work/w.$ext" && echo "ok: wsq -> $ext" || fail "wsq -> $ext: exit $?"
done
out=$("$cli" image-info "$work/w.bmp")
expect_line "$out" "w.bmp: bmp 96x64 palette 8-bit, 500 ppi"

# errors: unknown extension (1), bad options (2), missing file (1), too small for WSQ (1)
"$cli" image convert "$work/ring.pgm" "$work/x.gif" 2>"$work/err"; rc=$?
[ $rc -eq 1 ] && grep -q "x.gif" "$work/err" && echo "ok: unknown extension" || fail "unknown extension: rc $rc $(cat "$work/err")"
"$cli" image convert --bitrate 0 "$work/ring.pgm" "$work/x.wsq" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && echo "ok: bad bitrate is a usage error" || fail "bad bitrate: rc $rc"
"$cli" image convert "$work/ring.pgm" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && echo "ok: one file is a usage error" || fail "one file: rc $rc"
"$cli" image convert "$work/missing.pgm" "$work/x.wsq" 2>/dev/null; rc=$?
[ $rc -eq 1 ] && echo "ok: missing input" || fail "missing input: rc $rc"
printf 'P5\n16 16\n255\n%256s' "" > "$work/tiny.pgm"
"$cli" image convert "$work/tiny.pgm" "$work/tiny.wsq" 2>"$work/err"; rc=$?
[ $rc -eq 1 ] && grep -q "unsupported" "$work/err" && echo "ok: 16x16 refused for WSQ" || fail "tiny wsq: rc $rc $(cat "$work/err")"
[ ! -e "$work/tiny.wsq" ] && echo "ok: nothing written on failure" || fail "tiny.wsq was written"

data=${HS_SHARED_DATA:-}
if [ -n "$data" ] && [ -d "$data/fingerprint/wsq-nbis" ]; then
    n="$data/fingerprint/wsq-nbis/FVC2002_DB1_B_101_1"
    out=$("$cli" image-info "$n.b075.wsq") || fail "NBIS wsq: exit $?"
    expect_line "$out" "wsq 388x374 grey 8-bit, 500 ppi, 8495 bytes, 0.468 bpp, 17.1:1"
    "$cli" image convert --ppi 500 "$data/fingerprint/FVC2002_DB1_B/101_1.tif" "$work/fvc.wsq" || fail "FVC tif -> wsq"
    out=$("$cli" image-info "$work/fvc.wsq")
    expect_line "$out" "wsq 388x374 grey 8-bit, 500 ppi"
else
    echo "note: shared data absent (HS_SHARED_DATA=$data): NBIS checks skipped"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all image convert checks passed"
