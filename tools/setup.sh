#!/usr/bin/env bash
# Install the Debian 12 packages libhotspot needs to build, test and bind,
# then fetch the default face models. Idempotent: packages already present
# are left alone, and models already fetched and verified are not fetched
# again.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang llvm libclang-rt-14-dev
      libpng-dev libjpeg62-turbo-dev libtiff-dev libopenjp2-7-dev libxml2-dev libsodium-dev libcmocka-dev
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

# ---- default face models ---------------------------------------------------
# No Debian package ships a face model that OpenCV 4.6's dnn can run; the npm
# package below does. Its three files are checked against the hashes pinned
# here and kept in the cache directory; CMake's install step copies them to
# <prefix>/share/hotspot/models, where the library looks by default. Nothing
# is committed. Without npm or the registry the build still works and the
# face tests that need the models skip, saying why.
#
# Licence: the npm metadata says MIT (a generic licence text); where the
# weights come from and what they were trained on is not documented. They
# are defaults for evaluation and the demo: see docs/face.md.
PKG=faceplugin-face-recognition-js@0.0.1
CACHE=${HOTSPOT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotspot}
MODELS=$CACHE/models
SUMS="6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854  fr_detect.onnx
f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258  fr_landmark.onnx
87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581  fr_feature.onnx"

models_ok() { [ -d "$MODELS" ] && (cd "$MODELS" && echo "$SUMS" | sha256sum -c --status 2>/dev/null); }

if models_ok; then
  echo "setup: face models present and verified in $MODELS"
elif ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found: default face models not fetched (face tests that need them will skip)"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "setup: fetching the default face models ($PKG, 41 MB) with npm pack"
  if ! (cd "$tmp" && npm pack --silent "$PKG" >/dev/null 2>"$tmp/npm.log"); then
    echo "setup: npm pack $PKG failed (no registry?): default face models not fetched"
    sed 's/^/  npm: /' "$tmp/npm.log" | tail -5
  else
    tar -xzf "$tmp"/faceplugin-face-recognition-js-0.0.1.tgz -C "$tmp" \
        package/LICENSE package/model/fr_detect.onnx package/model/fr_landmark.onnx \
        package/model/fr_feature.onnx
    if ! (cd "$tmp/package/model" && echo "$SUMS" | sha256sum -c --quiet); then
      echo "setup: the face models in $PKG do not match the pinned SHA-256: refusing them" >&2
      exit 1
    fi
    mkdir -p "$MODELS"
    install -m 0644 "$tmp/package/LICENSE" "$MODELS/LICENSE.npm"
    for f in fr_detect.onnx fr_landmark.onnx fr_feature.onnx; do
      install -m 0644 "$tmp/package/model/$f" "$MODELS/$f"
    done
    echo "setup: face models verified and cached in $MODELS"
  fi
fi
