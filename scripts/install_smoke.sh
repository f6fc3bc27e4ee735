#!/usr/bin/env bash
# install_smoke.sh - installs slabcraft into a temporary prefix (make
# install) and builds tests/install/smoke.c against it twice, with nothing
# but what `pkg-config slabcraft` says: once linked with the static library,
# once with the shared one.  Runs both (the shared one through
# LD_LIBRARY_PATH), checks that each is linked the way it should be, that
# the headers are reached only as <slabcraft/...>, and that make uninstall
# leaves nothing behind.  Removes the prefix afterwards.  Uses
# ${BUILDROOT:-build}, $MAKE and $CC if set.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slabcraft-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
read -ra make <<< "${MAKE:-make}"
make+=(-s --no-print-directory BUILDROOT="${BUILDROOT:-build}" PREFIX="$tmp/prefix")
fail() { echo "install smoke: $*" >&2; exit 1; }

"${make[@]}" install >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags slabcraft | xargs)
shared_libs=$(pkg-config --libs slabcraft)
# With both libraries installed the linker takes libslabcraft.so for
# -lslabcraft; -l:libslabcraft.a names the archive itself.
static_libs=$(pkg-config --static --libs slabcraft)
static_libs=${static_libs/-lslabcraft/-l:libslabcraft.a}
echo "install smoke: pkg-config --cflags slabcraft = $cflags"

build() {  # build NAME LIBS...
  local name=$1; shift
  echo "install smoke: $name: $cc smoke.c $cflags $*"
  # shellcheck disable=SC2086  # the flags are words
  (cd "$tmp" && $cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$root/tests/install/smoke.c" \
     $cflags "$@" -o "$name")
}
needs_slabcraft() { readelf -d "$tmp/$1" | grep -q 'NEEDED.*\[libslabcraft\.so\.'; }

# shellcheck disable=SC2086
build smoke-static $static_libs
# shellcheck disable=SC2086
build smoke-shared $shared_libs
! needs_slabcraft smoke-static || fail "smoke-static needs libslabcraft.so"
needs_slabcraft smoke-shared || fail "smoke-shared does not load libslabcraft.so"
"$tmp/smoke-static"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/smoke-shared"

# the headers are not on the include path by their bare names
# shellcheck disable=SC2086
echo '#include <pool.h>' | $cc -E $cflags - >/dev/null 2>&1 &&
  fail "<pool.h> is reachable without slabcraft/"

"${make[@]}" uninstall >/dev/null
left=$(find "$tmp/prefix" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install smoke: static and shared builds run; make uninstall removed every file"
