#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite: a
# Release build, an AddressSanitizer + UndefinedBehaviorSanitizer build, and a
# ThreadSanitizer build of the threaded parts.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
tools/install.sh
echo "== tests (Release)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
echo "== tests (ASan + UBSan, with the HOTSPOT_TESTING hooks)"
# The sanitizer build also compiles the test hooks in (fault injection, the
# extractor's stage pictures), so the tests that need them run here; the
# Release build above, like a shipped library, has none and skips them.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHOTSPOT_WERROR=ON -DHOTSPOT_SANITIZE=ON \
      -DHOTSPOT_TESTING=ON \
      -DHOTSPOT_BENCH=OFF -DCMAKE_C_FLAGS=-O1 -DCMAKE_CXX_FLAGS=-O1 >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E '^(consumer|abi_symbols|header_test)$'
echo "== tests (ThreadSanitizer: the threaded parts)"
# The watchlist (readers-writer lock, search workers, the shared thread
# runner), the face gallery's parallel search, and the cluster (the shard's
# applier and NATS delivery threads, the client's reply queue, the intake
# worker, also under random faults) with its `hotspot shard` and worker
# processes, built with clang's
# -fsanitize=thread (HOTSPOT_TSAN); any data race fails the run, in the
# shard processes through their logs (test_shard_logs_clean).
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DHOTSPOT_WITH_OPENCV=OFF -DHOTSPOT_BENCH=OFF \
      -DHOTSPOT_TSAN=ON -DCMAKE_C_FLAGS="-O1 -g" -DCMAKE_CXX_FLAGS="-O1 -g" \
      -DCMAKE_EXE_LINKER_FLAGS= -DCMAKE_SHARED_LINKER_FLAGS= >/dev/null
tsan_tests="test_watchlist test_face test_nomem"
case "$(cmake --build build-tsan --target help)" in
  *" test_cluster"*) tsan_tests="$tsan_tests test_cluster test_intake test_intake_chaos" ;; # libnats found
esac
# shellcheck disable=SC2086
cmake --build build-tsan -j"$(nproc)" --target $tsan_tests hotspot_cli
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j"$(nproc)" \
  -R "^($(echo $tsan_tests test_intake_frozen | tr ' ' '|'))\$"
