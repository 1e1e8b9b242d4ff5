#!/usr/bin/env bash
# README command 2: set up, build, and run the whole test suite twice: a
# Release build, then an AddressSanitizer + UndefinedBehaviorSanitizer build.
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
