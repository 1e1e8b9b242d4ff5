#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
tools/install.sh
exec build/hotspot demo
