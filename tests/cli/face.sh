#!/bin/bash
# hotspot face: detect, embed, compare (images, HSFE records, raw float32
# from another SDK) and the bad-input exits, with named models (YuNet +
# MobileFaceNet) and with the default set and no model option. Skips (77)
# without the models, the AT&T set or an OpenCV build; the default-set part
# skips, saying why, when tools/setup.sh has not fetched it.
set -u
CLI=${HS_CLI:?}
DATA=${HS_SHARED_DATA:?}
WORK=${HS_WORK:-/tmp/hs-cli-face}
M=$DATA/face/models
A=$DATA/face/att_faces
if [ ! -f "$M/mobilefacenet.caffemodel" ] || [ ! -d "$A" ]; then
    echo "SKIP: $M or $A absent"; exit 77
fi
rm -rf "$WORK"; mkdir -p "$WORK"
unset HOTSPOT_FACE_MODELS
NAMED=(--detector "$M/face_detection_yunet_2022mar.onnx" --model "$M/mobilefacenet.caffemodel")
out=$("$CLI" face detect "${NAMED[@]}" "$A/s1/1.pgm" 2>&1); rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "not built"; then
    echo "SKIP: face engine not built"; exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }
[ $rc -eq 0 ] || fail "detect: $out"
echo "$out" | grep -q "1 face" || fail "detect output: $out"
"$CLI" face detect --json "${NAMED[@]}" "$A/s1/1.pgm" | grep -q '"landmarks"' || fail "detect --json"
"$CLI" face embed "${NAMED[@]}" --out "$WORK/a.hsfe" "$A/s1/1.pgm" || fail "embed"
"$CLI" face embed "${NAMED[@]}" --int8 --out "$WORK/b.hsfe" "$A/s1/2.pgm" || fail "embed --int8"
same=$("$CLI" face compare "$WORK/a.hsfe" "$WORK/b.hsfe") || fail "compare records"
echo "$same" | grep -q MATCH || fail "same person should match: $same"
diff=$("$CLI" face compare "${NAMED[@]}" "$WORK/a.hsfe" "$A/s2/1.pgm") || fail "compare record+image"
echo "$diff" | grep -q "no match" || fail "different people should not match: $diff"
# raw float32 from another SDK: right dimension works, wrong one and NaN fail
python3 - "$WORK" <<'PY' || fail "python"
import struct, sys, math
w = sys.argv[1]
open(w + "/ok.f32", "wb").write(struct.pack("<128f", *[math.sin(i) for i in range(128)]))
open(w + "/short.f32", "wb").write(struct.pack("<64f", *[1.0] * 64))
open(w + "/nan.f32", "wb").write(struct.pack("<128f", *([float("nan")] + [1.0] * 127)))
PY
"$CLI" face compare "$WORK/ok.f32" "$WORK/a.hsfe" >/dev/null || fail "f32 import"
"$CLI" face compare "$WORK/short.f32" "$WORK/a.hsfe" 2>/dev/null && fail "wrong dimension accepted"
"$CLI" face compare "$WORK/nan.f32" "$WORK/a.hsfe" 2>/dev/null && fail "NaN accepted"
# errors name the file they come from
out=$("$CLI" face compare "$WORK/a.hsfe" "$WORK/nan.f32" 2>&1) && fail "NaN accepted (second)"
case $out in *nan.f32*) ;; *) fail "error does not name the file: $out" ;; esac
out=$("$CLI" face compare "$WORK/a.hsfe" "$WORK/short.f32" 2>&1) && fail "short accepted"
case $out in *short.f32*) ;; *) fail "error does not name the file: $out" ;; esac
head -c 40 "$WORK/a.hsfe" > "$WORK/trunc.hsfe"
"$CLI" face compare "$WORK/trunc.hsfe" "$WORK/a.hsfe" 2>/dev/null && fail "truncated record accepted"
"$CLI" face detect --detector /nonexistent.onnx "$A/s1/1.pgm" 2>/dev/null && fail "missing model accepted"
"$CLI" face bogus 2>/dev/null; [ $? -eq 2 ] || fail "usage exit code"
"$CLI" face embed --detector "$M/face_detection_yunet_2022mar.onnx" --out "$WORK/x.hsfe" \
    "$A/s1/1.pgm" 2>/dev/null && fail "a detector without a model embedded"

# No model option: the default set, from HOTSPOT_FACE_MODELS or --models.
out=$(HOTSPOT_FACE_MODELS=/nonexistent/models "$CLI" face detect "$A/s1/1.pgm" 2>&1) &&
    fail "missing models directory accepted"
echo "$out" | grep -q "/nonexistent/models" || fail "missing directory not named: $out"
D=${HS_MODEL_CACHE:-}
if [ -z "$D" ] || [ ! -f "$D/fr_feature.onnx" ]; then
    echo "face CLI ok; default models skipped: none in '${D}' (run tools/setup.sh)"
    exit 0
fi
export HOTSPOT_FACE_MODELS=$D
out=$("$CLI" face detect "$A/s1/1.pgm") || fail "default detect: $out"
echo "$out" | grep -q "1 face" || fail "default detect output: $out"
echo "$out" | grep -q "estimated" && fail "default models estimate landmarks: $out"
"$CLI" face embed --out "$WORK/d1.hsfe" "$A/s1/1.pgm" >/dev/null || fail "default embed"
same=$("$CLI" face compare "$WORK/d1.hsfe" "$A/s1/2.pgm") || fail "default compare"
echo "$same" | grep -q ": MATCH" || fail "default: same person should match: $same"
diff=$("$CLI" face compare "$WORK/d1.hsfe" "$A/s2/1.pgm") || fail "default compare 2"
echo "$diff" | grep -q "no match" || fail "default: different people should not match: $diff"
unset HOTSPOT_FACE_MODELS
"$CLI" face compare --models "$D" "$WORK/d1.hsfe" "$A/s1/2.pgm" | grep -q "512-d" ||
    fail "--models DIR"
echo "face CLI ok (named and default models)"
