#!/usr/bin/env bash
# Instructions per fingerprint comparison of the aarch64 build, portable and
# NEON kernels: the proxy for ARM speed while no ARM machine is at hand.
# qemu-aarch64 runs build-arm64/bench/bench_match with a TCG plugin
# (tools/qemu_insn.c) that counts every executed guest instruction, per
# symbol of the (statically linked) benchmark. Each kernel set runs twice:
# loading the 640 SecuGen ISO templates only (--pairs 0), and loading plus the
# 25,280 FVC pairs (--pairs 25280); the difference divided by 25,280 is the
# matcher's mean count per comparison, libc calls included. Counts are exact
# and repeatable (no timing involved); they weigh a 1-cycle add like a
# division, so they bound the speed-up rather than measure it.
# Needs tools/check-arm64.sh to have run (cross tools, build-arm64) and
# ../shared/data.   tools/count-insns-arm64.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-arm64}
DATA=${HS_SHARED_DATA:-../shared/data}
[ -x "$B/bench/bench_match" ] || { echo "no $B/bench/bench_match: run tools/check-arm64.sh" >&2; exit 1; }
[ -d "$DATA/fingerprint/iso19794-2-secugen" ] || { echo "no shared data under $DATA" >&2; exit 1; }
gcc -O2 -shared -fPIC -o "$B/qemu_insn.so" tools/qemu_insn.c
N=25280
count() { # kernels pairs output
  HS_SHARED_DATA=$DATA qemu-aarch64 -L /usr/aarch64-linux-gnu -plugin "file=$B/qemu_insn.so" \
    -d plugin -D "$3" "$B/bench/bench_match" --kernels "$1" --pairs "$2" >/dev/null
}
for k in portable neon; do
  count "$k" 0 "$B/insn-$k-0.txt"
  count "$k" "$N" "$B/insn-$k-$N.txt"
  echo "$k kernels: instructions per comparison (mean over $N FVC pairs), and the largest parts:"
  awk 'FNR == NR { base[$2] = $1; next } $1 - base[$2] > 0 { printf "%.0f %s\n", $1 - base[$2], $2 }' \
    "$B/insn-$k-0.txt" "$B/insn-$k-$N.txt" | sort -rn | head -12 |
    awk -v n="$N" '{ printf "  %-24s %9.0f\n", $2, $1 / n }'
done
