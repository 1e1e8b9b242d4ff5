#!/usr/bin/env bash
# Install the Debian 12 packages libhotspot needs to build, test and bind.
# Idempotent: packages already present are left alone.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang llvm libclang-rt-14-dev
      libpng-dev libjpeg62-turbo-dev libtiff-dev libsodium-dev libcmocka-dev
      libopencv-dev opencv-data swig python3-dev python3-numpy python3-pytest
      doxygen binutils nats-server libnats-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build dependencies present"
