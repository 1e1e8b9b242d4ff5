#!/usr/bin/env bash
# Install the built tree (library, headers, pkg-config and CMake files, the
# hotspot tool, man page, docs and the Python module) under /usr/local.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO cmake --install build >/dev/null
$SUDO ldconfig 2>/dev/null || true
echo "install: libhotspot, hotspot tool and Python module installed under /usr/local"
