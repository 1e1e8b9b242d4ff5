#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
tools/install.sh
# The synthetic people have no faces: with the shared AT&T photos at hand,
# each person also gets one, checked with the default face models.
if [ -d ../shared/data/face/att_faces ]; then
  exec build/hotspot demo --faces ../shared/data/face/att_faces
fi
exec build/hotspot demo
