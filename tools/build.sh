#!/usr/bin/env bash
# Configure and build libhotspot into build/ (Release, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHOTSPOT_WERROR=ON -DHOTSPOT_PYTHON=ON "$@" >/dev/null
cmake --build build -j"$(nproc)"
