#!/usr/bin/env bash
# install_smoke.sh - installs slabcraft into a temporary prefix (make install)
# and builds tests/install/smoke.c against it with nothing but the flags
# `pkg-config --cflags --libs slabcraft` gives, then runs it.  Removes the
# prefix afterwards.  Uses ${BUILDROOT:-build}, $MAKE and $CC if set.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slabcraft-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}

${MAKE:-make} -s --no-print-directory BUILDROOT="${BUILDROOT:-build}" install PREFIX="$tmp/prefix"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs slabcraft)
echo "install smoke: pkg-config --cflags --libs slabcraft = $flags"
# shellcheck disable=SC2086  # the flags are words
(cd "$tmp" && $cc -std=c11 -Wall -Wextra -Werror "$root/tests/install/smoke.c" $flags -o smoke)
"$tmp/smoke"
