#!/usr/bin/env bash
# Matcher speed of this source tree against another revision, measured in one
# process by bench/bench_match_ab (docs/accuracy.md, "Speed"). Both sides are
# built here the same way (Release, without OpenCV, Python and the cluster
# library, which the matcher does not use), so that build options do not
# differ between them; the revision is checked out in a temporary worktree.
#   tools/ab-speed.sh [REV] [bench_match_ab options]
# REV defaults to a68c92d, the tree before the first commit of issue 20; the
# options default to --rounds 3 --runs 5, e.g.
#   tools/ab-speed.sh a68c92d --images --rounds 3 --runs 5
# Needs ../shared/data (or HS_SHARED_DATA) and glibc; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:-a68c92d}
[ $# -gt 0 ] && shift
OPTS=("$@")
[ ${#OPTS[@]} -gt 0 ] || OPTS=(--rounds 3 --runs 5)
W=$(mktemp -d /tmp/hs-ab.XXXXXX)
cleanup() {
  git worktree remove --force "$W/rev" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
git worktree add --detach "$W/rev" "$REV" >/dev/null 2>&1
LEAN=(-DCMAKE_BUILD_TYPE=Release -DHOTSPOT_WITH_OPENCV=OFF -DHOTSPOT_PYTHON=OFF
      -DHOTSPOT_CLUSTER=OFF)
echo "building $REV"
cmake -S "$W/rev" -B "$W/build-rev" "${LEAN[@]}" -DHOTSPOT_BENCH=OFF >/dev/null
cmake --build "$W/build-rev" -j2 --target hotspot >/dev/null
echo "building this tree"
cmake -S . -B "$W/build-cur" "${LEAN[@]}" -DHOTSPOT_BENCH=ON >/dev/null
cmake --build "$W/build-cur" -j2 --target hotspot bench_match_ab >/dev/null
"$W/build-cur/bench/bench_match_ab" "$W/build-rev/libhotspot.so.1" \
  "$W/build-cur/libhotspot.so.1" "${OPTS[@]}"
