#!/usr/bin/env bash
# hotspot image-info on files generated here (PGM, PPM, BMP, broken ones),
# text and --json output; on the shared data when it is present.
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
cli=$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")   # absolute: one check runs elsewhere
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_line() { # expect_line OUTPUT SUBSTRING
    case "$1" in *"$2"*) echo "ok: $2";; *) fail "'$2' not in: $1";; esac
}

# 3x2 binary PGM, 2x1 ASCII PPM, 2x2 8-bit BMP at 3937 px/m (100 ppi)
printf 'P5\n# test\n3 2\n255\n\001\002\003\004\005\006' > "$work/a.pgm"
printf 'P3 2 1 255\n255 0 0 0 0 255\n' > "$work/b.ppm"
le32() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))\\$(printf %03o $((($1 >> 16) & 255)))\\$(printf %03o $((($1 >> 24) & 255)))"; }
le16() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))"; }
{
    printf 'BM'; le32 $((14 + 40 + 8 + 8)); le32 0; le32 $((14 + 40 + 8))
    le32 40; le32 2; le32 2; le16 1; le16 8; le32 0; le32 8; le32 3937; le32 3937; le32 2; le32 0
    printf '\000\000\000\000\377\377\377\000'     # palette: black, white
    printf '\000\001\000\000\001\000\000\000'     # 2 rows, padded to 4 bytes
} > "$work/c.bmp"
head -c 20 "$work/a.pgm" > "$work/trunc.pgm"
printf 'GIF89a\001\000\001\000' > "$work/d.gif"

out=$("$cli" image-info "$work/a.pgm" "$work/b.ppm" "$work/c.bmp"); rc=$?
[ $rc -eq 0 ] || fail "exit $rc on valid files"
expect_line "$out" "a.pgm: pnm 3x2 grey 8-bit, ppi unknown"
expect_line "$out" "b.ppm: pnm 2x1 rgb 8-bit, ppi unknown"
expect_line "$out" "c.bmp: bmp 2x2 palette 8-bit, 100 ppi"

out=$("$cli" image-info --json "$work/a.pgm" "$work/c.bmp"); rc=$?
[ $rc -eq 0 ] || fail "--json exit $rc"
expect_line "$out" '"format": "pnm", "width": 3, "height": 2, "ppi": 0, "color": "grey", "bits": 8, "bytes": 24, "bpp": 32.000, "ratio": 0.25}'
expect_line "$out" '"format": "bmp", "width": 2, "height": 2, "ppi": 100'
if command -v python3 >/dev/null; then
    echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2' \
        && echo "ok: --json parses" || fail "--json output is not JSON"
fi

# failures: exit 1, each bad file named on stderr, good files still listed
out=$("$cli" image-info "$work/trunc.pgm" "$work/a.pgm" "$work/d.gif" 2>"$work/err"); rc=$?
[ $rc -eq 1 ] || fail "exit $rc with bad files, want 1"
grep -q "trunc.pgm: truncated input" "$work/err" && echo "ok: truncated named" || fail "stderr: $(cat "$work/err")"
grep -q "d.gif: unknown or wrong format" "$work/err" && echo "ok: wrong format named" || fail "stderr: $(cat "$work/err")"
expect_line "$out" "a.pgm: pnm 3x2"
out=$("$cli" image-info --json "$work/d.gif" 2>/dev/null)
expect_line "$out" '"error": "unknown or wrong format", "status": -4'

# "--" ends the options: a file called -x.pgm
cp "$work/a.pgm" "$work/-x.pgm"
(cd "$work" && "$cli" image-info -- -x.pgm >/dev/null) && echo "ok: -- ends options" || fail "-- not honoured"

data=${HS_SHARED_DATA:-}
if [ -n "$data" ] && [ -d "$data/fingerprint" ]; then
    fvc="$data/fingerprint/FVC2002_DB1_B/101_1.tif"
    out=$("$cli" image-info "$fvc") || fail "FVC exit $?"
    expect_line "$out" "tiff 388x374 grey 8-bit, ppi unknown"
    nt=$(ls "$data"/fingerprint/NEUROTECH_CROSSMATCH/*.tif | head -1)
    out=$("$cli" image-info --json "$nt") || fail "Neurotech exit $?"
    expect_line "$out" '"format": "tiff", "width": 504, "height": 480, "ppi": 500, "color": "palette"'
else
    echo "note: shared data absent (HS_SHARED_DATA=$data): FVC/Neurotech checks skipped"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all image-info checks passed"
