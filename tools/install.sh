#!/usr/bin/env bash
# Install the built tree (library, headers, pkg-config and CMake files, the
# hotspot tool, man page, docs, the Python module and, when tools/setup.sh
# fetched them, the default face models) under /usr/local.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO cmake --install build >/dev/null
$SUDO ldconfig 2>/dev/null || true
echo "install: libhotspot, hotspot tool and Python module installed under /usr/local"
if [ -f /usr/local/share/hotspot/models/fr_feature.onnx ]; then
  echo "install: default face models in /usr/local/share/hotspot/models"
else
  echo "install: no default face models (tools/setup.sh could not fetch them): face commands need model options"
fi
