#!/usr/bin/env bash
# The hotspot CLI frame: --version, help, and the exit codes 0 (ok),
# 1 (runtime error, named on stderr) and 2 (usage error).
set -u
cli=${HS_CLI:?HS_CLI must name the hotspot binary}
work=${HS_WORK:-$(mktemp -d)}
mkdir -p "$work"
fails=0
check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then echo "FAIL: $1: exit $3, want $2"; fails=$((fails + 1)); else echo "ok: $1"; fi
}

out=$("$cli" --version); rc=$?
check "--version exits 0" 0 $rc
ver=$(sed -n 's/^#define HS_VERSION_STRING "\(.*\)"/\1/p' "${HS_SOURCE_DIR:-.}/include/hotspot/common.h")
case "$out" in "hotspot $ver"*) echo "ok: version text '$out'";; *) echo "FAIL: version text '$out' (want $ver)"; fails=$((fails + 1));; esac

out=$("$cli" help); rc=$?
check "help exits 0" 0 $rc
for w in image-info "exit codes"; do
    case "$out" in *"$w"*) ;; *) echo "FAIL: help lacks '$w'"; fails=$((fails + 1));; esac
done
"$cli" --help >/dev/null; check "--help exits 0" 0 $?

"$cli" >/dev/null 2>"$work/err"; check "no command exits 2" 2 $?
[ -s "$work/err" ] || { echo "FAIL: no command prints nothing on stderr"; fails=$((fails + 1)); }
"$cli" no-such-command >/dev/null 2>"$work/err"; check "unknown command exits 2" 2 $?
grep -q "no-such-command" "$work/err" || { echo "FAIL: unknown command not named"; fails=$((fails + 1)); }

"$cli" image-info >/dev/null 2>&1; check "image-info without files exits 2" 2 $?
"$cli" image-info --bogus x >/dev/null 2>&1; check "unknown option exits 2" 2 $?
"$cli" image-info --help >/dev/null; check "image-info --help exits 0" 0 $?

missing="$work/does-not-exist.png"
"$cli" image-info "$missing" >/dev/null 2>"$work/err"; check "missing file exits 1" 1 $?
grep -qF "$missing" "$work/err" || { echo "FAIL: stderr does not name the file"; fails=$((fails + 1)); }

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all CLI frame checks passed"
