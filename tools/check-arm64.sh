#!/usr/bin/env bash
# Build libhotspot for 64-bit ARM (aarch64: the handheld devices) and run the
# fast unit tests and the prepared-template fuzz corpus (which cross-checks
# the portable and NEON kernels) under qemu-aarch64; with ../shared/data
# present, also check that the ARM build (default kernels: NEON) scores all
# 25,280 FVC pairs exactly as the x86-64 build's portable kernels (build/
# must exist), on the SecuGen ISO templates and on our extractor's (which
# carry the orientation field; a few minutes more under emulation). Not
# part of CI: it adds the arm64 architecture to dpkg and installs cross
# compilers and arm64 libraries (a few hundred MB).
#   tools/check-arm64.sh [BUILD_DIR]          (default build-arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-arm64}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
PKGS=(qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
      libpng-dev:arm64 libjpeg62-turbo-dev:arm64 libtiff-dev:arm64 libsodium-dev:arm64
      libcmocka-dev:arm64 zlib1g-dev:arm64 libopenjp2-7-dev:arm64 libxml2-dev:arm64)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cmake -S . -B "$B" -DCMAKE_TOOLCHAIN_FILE=tools/toolchain-aarch64.cmake -DCMAKE_BUILD_TYPE=Release \
  -DHOTSPOT_WITH_OPENCV=OFF -DHOTSPOT_PYTHON=OFF -DHOTSPOT_BENCH=ON -DHOTSPOT_WERROR=ON >/dev/null
cmake --build "$B" -j2 >/dev/null
run() { qemu-aarch64 -L /usr/aarch64-linux-gnu "$@"; }
# The unit tests that finish in seconds under emulation (synth, watchlist and
# face build large galleries and take many minutes there).
for t in test_core test_image test_template test_finger test_match test_eval; do
  echo "arm64: $t"
  HS_SHARED_DATA=/nonexistent run "$B/tests/$t" >"$B/$t.log" 2>&1 || { cat "$B/$t.log"; exit 1; }
done
# The prepared-template fuzzer's corpus: every input is matched with the
# portable and the NEON kernels, which must give the same scores.
echo "arm64: fuzz_prepared corpus (kernel cross-check)"
run "$B/fuzz/fuzz_prepared_replay" fuzz/corpus/fuzz_prepared >"$B/fuzz_prepared.log" 2>&1 ||
  { cat "$B/fuzz_prepared.log"; exit 1; }
DATA=${HS_SHARED_DATA:-../shared/data}
# compare SOURCE LABEL MODE...: the ARM build's scores of all FVC pairs
# against the x86-64 build's portable ones in each MODE ("default" or the
# bench_match options), on the SecuGen ISO templates (SOURCE "") or on our
# extractor's (SOURCE --images)
compare() {
  local src=$1 label=$2 mode tag
  shift 2
  for mode in "$@"; do
    opt=(); [ "$mode" = default ] || read -r -a opt <<<"$mode"
    [ -z "$src" ] || opt=("$src" "${opt[@]}")
    tag=${src//-/}${mode//[- ]/}
    HS_SHARED_DATA=$DATA run "$B/bench/bench_match" --pairs 0 "${opt[@]}" \
      --dump "$B/scores-arm64-$tag.txt" >/dev/null
    HS_SHARED_DATA=$DATA build/bench/bench_match --pairs 0 --kernels portable "${opt[@]}" \
      --dump "$B/scores-x86-$tag.txt" >/dev/null
    cmp "$B/scores-arm64-$tag.txt" "$B/scores-x86-$tag.txt"
    echo "arm64: all $(wc -l <"$B/scores-arm64-$tag.txt") FVC pair scores$label ($mode) identical to the x86-64 build"
  done
}
if [ -d "$DATA/fingerprint/iso19794-2-secugen" ] && [ -x build/bench/bench_match ]; then
  # the default mode, the fast mode, a 60-degree rotation bound and the
  # thorough mode
  compare "" "" default --fast "--max-rotation 60" --thorough
  # our extractor's templates carry the orientation field, which the ISO
  # records lack: the same comparison on them covers the field agreement's
  # kernels (and the extractor, which must give the same templates on ARM)
  if [ -d "$DATA/fingerprint/FVC2002_DB1_B" ]; then
    compare --images " of our extractor's templates" default --thorough
  fi
else
  echo "arm64: score comparison skipped (no shared data or no x86 build/bench/bench_match)"
fi
echo "arm64: OK"
