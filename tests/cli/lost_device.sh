#!/bin/bash
# The lost-device test (issue #18): a day at a checkpoint on one device -
# keys, an encrypted installed list, HS_LOST_DEVICE_CHECKS checks (default 50)
# with two synthetic fingers each and a face-size picture in one check of
# five, exports, the centre's open and acknowledgements, the last exports
# left unacknowledged, a purge - then every file under the device's
# directory is scanned for the bytes of what was captured or enrolled:
#  - 32-byte windows of each finger image's pixels and of its WSQ encoding,
#  - 24-byte windows of the minutiae blocks of its templates (ISO, HST),
#  - 32-byte windows of the enrolled list as the library stores it in clear,
#  - 32-byte windows of each face picture (JPEG bytes and pixels) and, when
#    the face models and the AT&T faces are present, of its embedding.
# Nothing may be found. The same scanner must find each kind of needle in
# the clear files (so that it can fail), and the centre's opened
# transactions must hold the finger images (so that the checks did capture
# them). Needs python3 for the scan.
set -u
cli=${HS_CLI:?HS_CLI not set}
work=${HS_WORK:-$(mktemp -d)}
checks=${HS_LOST_DEVICE_CHECKS:-50}
# under AddressSanitizer a check takes ~20 times as long: fewer of them
if [ -z "${HS_LOST_DEVICE_CHECKS:-}" ] && ldd "$cli" 2>/dev/null | grep -q libasan; then
    checks=10
    echo "note: sanitizer build: $checks checks (HS_LOST_DEVICE_CHECKS=50 for the full day)"
fi
att=${HS_SHARED_DATA:-../shared/data}/face/att_faces
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 not found (the scan needs it)"; exit 77; }
mkdir -p device/box device/out device/in sensor centre/devices
if ! "$cli" device keygen device/dev >/dev/null 2>&1; then
    echo "SKIP: built without libsodium (no device keys)"
    exit 77
fi

# the centre: authority keys, the list, the package
"$cli" authority keygen centre/auth >/dev/null || fail "authority keygen"
cp centre/auth.pub device/auth.pub
cp device/dev.sign.pub centre/devices/dev.pub
"$cli" synth --out sensor --fingers 24 --impressions 2 --seed 1818 >/dev/null || fail synth
"$cli" watchlist create centre/list.hswl --version 7 >/dev/null || fail create
for s in 1 2 3 4 5 6 7 8; do
    a=$(printf '%03d' $((100 + 2 * s - 1))) b=$(printf '%03d' $((100 + 2 * s)))
    "$cli" watchlist add centre/list.hswl --id "S-$s" --finger "2:sensor/${a}_1.png" \
        --finger "7:sensor/${b}_1.png" >/dev/null || fail "enrol S-$s"
done
"$cli" watchlist keygen --authority centre/pkg >/dev/null || fail "package keys"
"$cli" watchlist keygen --device device/dev >/dev/null || fail "device package keys"
"$cli" watchlist pack centre/list.hswl --key centre/pkg.sec --to device/dev.pub \
    --out device/in/list.pkg >/dev/null || fail pack
cp centre/pkg.pub device/pkg.pub

# the device installs the list, encrypted under its storage key (one prefix
# for the package keys dev.pub/dev.sec and the device keys dev.sign.*)
"$cli" watchlist unpack device/in/list.pkg --authority device/pkg.pub --device device/dev \
    --storage-key device/dev.storage.key --state device/list.state --out device/installed.hswl \
    --audit device/box --device device/dev >/dev/null || fail "install"

# faces: a face-size synthetic picture, and a real face when the data is there
python3 - <<'EOF' || fail "face picture"
import random
random.seed(18)
w, h = 480, 640
px = bytearray()
for y in range(h):
    for x in range(w):
        px.append((((x // 12) * 7 + (y // 9) * 13) ^ random.randrange(64)) & 255)
open("sensor/face0.pgm", "wb").write(b"P5\n%d %d\n255\n" % (w, h) + bytes(px))
EOF
"$cli" image convert sensor/face0.pgm sensor/face0.jpg >/dev/null || fail "face jpeg"
faces=(sensor/face0.jpg)
if [ -f "$att/s1/1.pgm" ]; then
    "$cli" image convert "$att/s1/1.pgm" sensor/face1.pgm >/dev/null &&
        "$cli" image convert "$att/s1/1.pgm" sensor/face1.jpg >/dev/null && faces+=(sensor/face1.jpg)
    "$cli" face embed --out sensor/face1.hsfe sensor/face1.jpg >/dev/null 2>&1 ||
        echo "note: no face embedding (face models absent): embeddings not scanned"
else
    echo "note: $att absent: only the synthetic face picture (no embedding)"
fi

# the day
common=(--outbox device/box --authority device/auth.pub --device device/dev
        --storage-key device/dev.storage.key --operator officer-18 --location CP-4)
used=()
hits=0
for k in $(seq 1 "$checks"); do
    if [ $((k % 5)) -eq 0 ]; then   # a listed person: the other impressions of S-n
        s=$(( (k / 5 - 1) % 8 + 1 ))
        a=$(printf '%03d' $((100 + 2 * s - 1)))_2 b=$(printf '%03d' $((100 + 2 * s)))_2
    else                            # fingers not on the list
        a=$(printf '%03d' $((117 + k % 4)))_$((k % 2 + 1)) b=$(printf '%03d' $((121 + k % 4)))_$((k % 2 + 1))
    fi
    used+=("$a" "$b")
    face=()
    if [ $((k % 5)) -eq 1 ]; then face=(--face "${faces[$((k / 5 % ${#faces[@]}))]}"); fi
    out=$("$cli" check device/installed.hswl "${common[@]}" --finger "2:sensor/$a.png" \
        --finger "7:sensor/$b.png" "${face[@]}" --field "lane=$((k % 3))" 2>/dev/null) \
        || fail "check $k: $out"
    case $out in HIT*) hits=$((hits + 1)) ;; esac
    if [ "$k" -eq $((checks * 2 / 5)) ] || [ "$k" -eq $((checks * 4 / 5)) ] || [ "$k" -eq "$checks" ]; then
        "$cli" outbox export device/box --out "device/out/b$k.batch" --device device/dev \
            >/dev/null || fail "export at $k"
        cp "device/out/b$k.batch" centre/
        "$cli" encounter open "centre/b$k.batch" --authority centre/auth.sec \
            --devices centre/devices --out "centre/opened$k" --receipt "centre/ack$k" \
            >/dev/null || fail "central open at $k"
        if [ "$k" -ne "$checks" ]; then   # the last batch is never acknowledged
            cp "centre/ack$k" device/in/
            "$cli" outbox ack device/box "device/in/ack$k" --authority device/auth.pub \
                --device device/dev >/dev/null || fail "ack at $k"
        fi
    fi
done
"$cli" outbox purge device/box --older-than 30 --device device/dev >/dev/null || fail purge
left=$("$cli" outbox list device/box --json | sed -n 's/.*"count": \([0-9]*\).*/\1/p')
[ "$hits" -gt 0 ] || fail "no check hit a listed person"
[ "$left" -gt 0 ] || fail "the outbox should still hold the unacknowledged encounters"
"$cli" audit verify device/box --device device/dev >/dev/null || fail "audit verify"
"$cli" outbox verify device/box >/dev/null || fail "outbox verify"

# the needles, from the clear captures and the clear list (never on the device)
mkdir -p needles
for f in $(printf '%s\n' "${used[@]}" | sort -u); do
    "$cli" image convert "sensor/$f.png" "needles/$f.pgm" >/dev/null || fail "pgm $f"
    "$cli" image convert --bitrate 0.75 "sensor/$f.png" "needles/$f.wsq" >/dev/null || fail "wsq $f"
    echo "sensor/$f.png" >> needles/fingers.txt
done
"$cli" extract --format iso19794-2 --out needles/iso $(cat needles/fingers.txt) >/dev/null ||
    fail "iso templates"
"$cli" extract --format hst --out needles/hst $(cat needles/fingers.txt) >/dev/null ||
    fail "hst templates"
python3 - "$checks" <<'EOF' || fail "the scan found biometric data on the device (above)"
import glob, os, sys

def windows(data, size, step, start=0, distinct=12):
    out = set()
    for o in range(start, len(data) - size + 1, step):
        w = data[o:o + size]
        if len(set(w)) >= distinct:
            out.add(w)
    return out

def pgm_pixels(path):
    d = open(path, "rb").read()
    # P5\nW H\n255\n
    parts = d.split(b"\n", 3)
    return parts[3]

needles = {}
def add(kind, ws):
    needles.setdefault(kind, set()).update(ws)

for p in glob.glob("needles/*.pgm"):
    add("finger pixels", windows(pgm_pixels(p), 32, 997))
for p in glob.glob("needles/*.wsq"):
    d = open(p, "rb").read()
    add("finger WSQ", windows(d, 32, 61, start=len(d) // 4))
for p in glob.glob("needles/iso/*"):
    d = open(p, "rb").read()
    add("template ISO minutiae", windows(d, 24, 6, start=28, distinct=10))
for p in glob.glob("needles/hst/*"):
    d = open(p, "rb").read()
    add("template HST", windows(d, 24, 8, start=32, distinct=10))
lst = open("centre/list.hswl", "rb").read()
add("enrolled list", windows(lst, 32, 16, start=64))
for p in glob.glob("sensor/face*.jpg"):
    d = open(p, "rb").read()
    add("face JPEG", windows(d, 32, 53, start=len(d) // 8))
for p in glob.glob("sensor/face*.pgm"):
    add("face pixels", windows(pgm_pixels(p), 32, 1009))
for p in glob.glob("sensor/face*.hsfe"):
    d = open(p, "rb").read()
    add("face embedding", windows(d[-512:], 32, 4, distinct=16))

def scan(files):
    found = {}
    blobs = [(f, open(f, "rb").read()) for f in files]
    for kind, ws in needles.items():
        for w in ws:
            for f, b in blobs:
                if w in b:
                    found.setdefault(kind, set()).add(f)
                    break
    return found

device = [os.path.join(r, f) for r, _, fs in os.walk("device") for f in fs]
total = sum(os.path.getsize(f) for f in device)
print("device: %d files, %d bytes; needles: %s" % (
    len(device), total, ", ".join("%s %d" % (k, len(v)) for k, v in sorted(needles.items()))))
for k in ("finger pixels", "finger WSQ", "template ISO minutiae", "enrolled list", "face JPEG"):
    if not needles.get(k):
        sys.exit("no needles of kind %s: the scan would prove nothing" % k)

# the scanner finds each kind in the clear files
clear = glob.glob("needles/*.pgm") + glob.glob("needles/*.wsq") + glob.glob("needles/iso/*") + \
        glob.glob("needles/hst/*") + ["centre/list.hswl"] + glob.glob("sensor/face*")
missed = set(needles) - set(scan(clear))
if missed:
    sys.exit("the scanner does not find %s in the clear files" % ", ".join(sorted(missed)))
# the checks captured the fingers: the centre's opened transactions hold them
opened = [os.path.join(r, f) for r, _, fs in os.walk("centre") if "opened" in r for f in fs]
if "finger WSQ" not in scan(opened):
    sys.exit("the centre's opened transactions do not hold the captured WSQ images")

leaks = scan(device)
for kind, files in sorted(leaks.items()):
    print("LEAK: %s in %s" % (kind, ", ".join(sorted(files))))
sys.exit(1 if leaks else 0)
EOF
echo "ok: $checks checks ($hits hits), $left encounters left unacknowledged; nothing biometric in the clear on the device"
exit 0
